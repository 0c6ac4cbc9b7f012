import { render } from 'preact';
import { App } from './app.tsx';
import { applyDirection } from './i18n.ts';
import './styles.css';

applyDirection();
render(<App />, document.getElementById('studio') as HTMLElement);
