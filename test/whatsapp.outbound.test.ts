import { describe, expect, it } from 'vitest';
import { cloudCapabilities } from '../channels/whatsapp/capabilities.ts';
import { type GraphMessage, LIMITS, templateMessage, templateParameter, toGraphMessages } from '../channels/whatsapp/outbound.ts';
import { OutboundContentSchema, type OutboundContent } from '../src/core/message.ts';
import { storableText } from '../src/core/text.ts';
import { truncateLabel, uniqueLabels } from '../src/core/titles.ts';
import { renderAsk } from '../src/flows/render.ts';

const render = (content: OutboundContent) => toGraphMessages(OutboundContentSchema.parse(content), async (a) => ({ link: a.url ?? '' }));
/** No half of a surrogate pair left behind by a cut. */
const whole = (text: string) => storableText(text) === text;

type Interactive = {
  type: string;
  body: { text: string };
  action: {
    buttons?: { reply: { id: string; title: string } }[];
    button?: string;
    sections?: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
  };
};
const interactiveOf = (messages: GraphMessage[]) => messages.find((m) => m.type === 'interactive')?.interactive as Interactive | undefined;

/** What Meta checks on a reply-buttons or list message (LIMITS links its pages). */
function expectValidForMeta(messages: GraphMessage[]) {
  for (const m of messages) {
    if (m.type === 'text') expect((m.text as { body: string }).body.length).toBeLessThanOrEqual(LIMITS.text);
    if (m.type !== 'interactive') continue;
    const i = m.interactive as Interactive;
    if (i.type === 'button') {
      const buttons = i.action.buttons ?? [];
      expect(buttons.length).toBeGreaterThanOrEqual(1);
      expect(buttons.length).toBeLessThanOrEqual(LIMITS.buttons);
      expect(i.body.text.length).toBeLessThanOrEqual(LIMITS.buttonsBody);
      const titles = buttons.map((b) => b.reply.title);
      expect(new Set(titles).size).toBe(titles.length);
      for (const t of titles) expect(t.length <= LIMITS.buttonTitle && whole(t), t).toBe(true);
    } else {
      const rows = (i.action.sections ?? []).flatMap((s) => s.rows);
      expect(rows.length).toBeLessThanOrEqual(LIMITS.listRows);
      expect((i.action.button ?? '').length).toBeLessThanOrEqual(LIMITS.listButton);
      for (const r of rows)
        expect(r.title.length <= LIMITS.listTitle && whole(r.title) && (r.description ?? '').length <= LIMITS.listDescription, r.title).toBe(true);
    }
  }
}

describe('labels cut to a limit', () => {
  it.each([
    ['two long Persian labels that share their first 20 characters', ['پیگیری سفارش ثبت‌شده در فروشگاه اینترنتی', 'پیگیری سفارش ثبت‌شده در شعبه حضوری'], 20],
    ['two long Arabic labels', ['متابعة الطلب المسجل في المتجر الإلكتروني', 'متابعة الطلب المسجل في الفرع'], 20],
    ['emoji with skin tones and a family', ['👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽 great', '👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽 fine', '👨‍👩‍👧‍👦👨‍👩‍👧‍👦 family'], 20],
    ['English labels equal after the cut', ['Track my order from the web shop', 'Track my order from the branch', 'Track my order from the app'], 20],
  ])('%s stay unique, whole and within the limit', (_name, labels, max) => {
    const out = uniqueLabels(labels, max);
    expect(new Set(out).size).toBe(labels.length);
    for (const label of out) {
      expect(label.length).toBeLessThanOrEqual(max);
      expect(whole(label)).toBe(true);
    }
  });

  it('cuts between graphemes, numbers repeats in the script of the label', () => {
    expect(truncateLabel('👨‍👩‍👧‍👦 family trip', 12)).toBe('👨‍👩‍👧‍👦…');
    expect(truncateLabel('short', 20)).toBe('short');
    expect(uniqueLabels(['پیگیری سفارش ثبت‌شده در فروشگاه', 'پیگیری سفارش ثبت‌شده در شعبه'], 20)).toEqual(['پیگیری سفارش ثبت‌شد…', 'پیگیری سفارش ثبت… ۲']);
    expect(uniqueLabels(['متابعة الطلب المسجل في المتجر', 'متابعة الطلب المسجل في الفرع'], 20)).toEqual(['متابعة الطلب المسجل…', 'متابعة الطلب المس… ٢']);
    expect(uniqueLabels(['Yes', 'Yes'], 20)).toEqual(['Yes', 'Yes 2']);
  });
});

describe('WhatsApp Cloud API outbound render', () => {
  it('sends a notice without buttons as plain text, never as interactive with buttons: []', async () => {
    const messages = await render({ text: 'Your ticket #12 was closed.', buttons: [] });
    expect(messages).toEqual([{ type: 'text', text: { body: 'Your ticket #12 was closed.', preview_url: false } }]);
  });

  it('sends long Persian button titles as unique, whole titles Meta accepts', async () => {
    const messages = await render({
      text: 'کدام مورد؟',
      buttons: [
        { id: 'web', title: 'پیگیری سفارش ثبت‌شده در فروشگاه اینترنتی' },
        { id: 'branch', title: 'پیگیری سفارش ثبت‌شده در شعبه حضوری' },
        { id: 'thanks', title: '🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽🙏🏽' },
      ],
    });
    expectValidForMeta(messages);
    expect(interactiveOf(messages)?.action.buttons?.map((b) => b.reply.id)).toEqual(['web', 'branch', 'thanks']);
  });

  it('cuts list rows, descriptions, section titles and the list button to Meta’s limits', async () => {
    const messages = await render({
      text: 'یک مورد را انتخاب کنید',
      list: {
        button: 'مشاهده همه گزینه‌های موجود',
        sections: [
          {
            title: 'سفارش‌ها و پرداخت‌های اینترنتی',
            rows: [
              { id: 'a', title: 'بازپرداخت وجه سفارش لغوشده', description: 'x'.repeat(100) },
              { id: 'b', title: 'بازپرداخت وجه سفارش مرجوعی' },
            ],
          },
        ],
      },
    });
    expectValidForMeta(messages);
    const list = interactiveOf(messages);
    expect(list?.action.sections?.[0]?.title?.length).toBeLessThanOrEqual(LIMITS.listSectionTitle);
  });

  it('renders a flow question with long labels as valid interactive buttons', async () => {
    const parts = renderAsk(
      'Which one?',
      {
        type: 'choice',
        choices: [
          { id: 'a', label: 'Track my order from the web shop' },
          { id: 'b', label: 'Track my order from the branch' },
        ],
      } as never,
      'step1',
      'en',
      cloudCapabilities,
    );
    for (const part of parts) expectValidForMeta(await render(part));
    const titles = parts.flatMap((p) => p.buttons ?? []).map((b) => b.title);
    expect(new Set(titles).size).toBe(2);
  });

  it('keeps newlines, tabs and runs of 4+ spaces out of template parameters', () => {
    expect(templateParameter('Order ۱۲۳۴\nshipped\r\n\r\ntoday\tby    post')).toBe('Order ۱۲۳۴ | shipped | today by post');
    const message = templateMessage({ name: 'order_update', language: 'fa', params: ['سفارش\nارسال شد'] });
    expect(message).toMatchObject({ template: { components: [{ type: 'body', parameters: [{ type: 'text', text: 'سفارش | ارسال شد' }] }] } });
    for (const p of (message.template as { components: { parameters: { text: string }[] }[] }).components[0]?.parameters ?? [])
      expect(p.text).not.toMatch(/[\n\t]| {4,}/);
  });
});
