import { isOpen, nextOpening } from '../../src/routing/business-hours.ts';
import { type RoutingConfig, RoutingConfigSchema } from '../../src/routing/config.ts';
import { fill, formatOpening, OUT_OF_HOURS, pickText } from '../../src/routing/texts.ts';
import { readYamlConfig } from '../../src/routing/yaml-config.ts';

/** The out-of-hours notice of the widget's team, from the same routing file and texts the desk uses. */
export class OfficeHours {
  readonly #config: RoutingConfig | undefined;

  constructor(
    routingFile: string | undefined,
    private readonly team: string | undefined,
  ) {
    this.#config = routingFile ? readYamlConfig(routingFile, RoutingConfigSchema) : undefined;
  }

  /** Undefined while the team is open (or has no hours), else the notice in each widget language. */
  notice(now: Date): Record<'en' | 'fa' | 'ar', string> | undefined {
    const hours = this.team ? this.#config?.teams[this.team]?.hours : undefined;
    if (!hours || isOpen(hours, now)) return undefined;
    const opening = nextOpening(hours, now);
    const texts = this.#config?.messages.out_of_hours ?? OUT_OF_HOURS;
    const say = (locale: 'en' | 'fa' | 'ar') =>
      fill(pickText(texts, locale), { opening: opening ? formatOpening(opening, locale === 'fa' ? 'fa-IR' : locale, hours.timeZone) : '' });
    return { en: say('en'), fa: say('fa'), ar: say('ar') };
  }
}
