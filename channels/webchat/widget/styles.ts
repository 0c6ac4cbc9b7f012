/** The widget's styles, inside its shadow root: nothing leaks in from the page or out to it. */
export const styles = (accent: string) => `
:host{all:initial}
*{box-sizing:border-box}
.root{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
.root.start{inset-inline-end:auto;inset-inline-start:20px}
.root[dir=rtl]{font-family:Vazirmatn,"Noto Naskh Arabic","Noto Sans Arabic",Tahoma,"Segoe UI",system-ui,sans-serif;line-height:1.8}
button{font:inherit;cursor:pointer}
.launcher{width:56px;height:56px;border-radius:50%;border:0;background:${accent};color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);position:relative;display:grid;place-items:center}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-4px;inset-inline-end:-4px;min-width:22px;height:22px;border-radius:11px;background:#d1242f;color:#fff;font-size:12px;display:grid;place-items:center;padding:0 6px}
.panel{position:absolute;bottom:70px;inset-inline-end:0;width:min(370px,calc(100vw - 40px));height:min(560px,calc(100vh - 110px));background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
.start .panel{inset-inline-end:auto;inset-inline-start:0}
.head{background:${accent};color:#fff;padding:12px 16px;display:flex;align-items:center;justify-content:space-between;font-weight:600}
.head button{background:none;border:0;color:#fff;font-size:20px;line-height:1}
.head .alerts{margin-inline-start:auto;opacity:.6;display:grid}
.head .alerts[aria-pressed=true]{opacity:1}
.alerts svg{width:18px;height:18px;fill:currentColor;stroke:currentColor;stroke-width:1.5}
.notice{background:#fff8c5;padding:8px 12px;font-size:13px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f8fa}
.msg{max-width:82%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;unicode-bidi:plaintext}
.visitor{align-self:flex-end;background:${accent};color:#fff;border-end-end-radius:4px}
.bot,.agent{align-self:flex-start;background:#fff;border:1px solid #d0d7de;border-end-start-radius:4px}
.meta{display:block;font-size:11px;opacity:.75;margin-top:2px;text-align:end}
.author{display:block;font-size:11px;font-weight:600;opacity:.8}
.choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.choices button{border:1px solid ${accent};color:${accent};background:#fff;border-radius:16px;padding:4px 12px}
.choices button:disabled{opacity:.5;cursor:default}
.rows{display:flex;flex-direction:column;gap:4px;margin-top:6px}
.rows button{text-align:start;border:1px solid #d0d7de;background:#fff;border-radius:8px;padding:6px 10px}
.rows small{display:block;opacity:.7}
.msg img{max-width:100%;border-radius:8px;display:block}
.msg a{color:inherit}
.typing{align-self:flex-start;font-size:12px;opacity:.7}
.failed{background:#ffebe9;color:#82071e}
.compose{display:flex;gap:6px;padding:8px;border-top:1px solid #d0d7de;align-items:flex-end}
.compose textarea{flex:1;resize:none;border:1px solid #d0d7de;border-radius:8px;padding:8px;font:inherit;max-height:120px;unicode-bidi:plaintext}
.compose button{border:0;border-radius:8px;padding:8px 12px;background:${accent};color:#fff}
.compose .attach{background:#eaeef2;color:#1f2328}
.form{padding:16px;display:flex;flex-direction:column;gap:10px}
.form input{font:inherit;padding:8px;border:1px solid #d0d7de;border-radius:8px}
.form button{border:0;border-radius:8px;padding:10px;background:${accent};color:#fff}
.error{color:#82071e;font-size:13px}
.status{font-size:12px;text-align:center;opacity:.7}
:focus-visible{outline:2px solid ${accent};outline-offset:2px}
`;
