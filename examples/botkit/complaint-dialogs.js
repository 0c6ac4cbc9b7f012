// A Botkit dialogs module for Parley (PARLEY_BOTKIT_DIALOGS=./examples/botkit/complaint-dialogs.js).
// Plain Botkit: the default export names the dialogs and the one a conversation begins with.
import { BotkitConversation } from 'botkit';

export const CATEGORIES = [
  { title: 'Delivery', payload: 'delivery' },
  { title: 'Product', payload: 'product' },
  { title: 'Billing', payload: 'billing' },
  { title: 'Other', payload: 'other' },
];

/** A complaint: its category, a description, an optional order number, then a confirmation. */
export function complaintDialog(controller) {
  const convo = new BotkitConversation('complaint', controller);
  const choose = (payloads) => [
    ...payloads.map((payload) => ({ pattern: new RegExp(`^${payload}$`, 'i'), handler: async () => {} })),
    {
      default: true,
      handler: async (_answer, dialog, bot) => {
        await bot.say('Please choose one of the options.');
        await dialog.repeat();
      },
    },
  ];
  convo.ask({ text: ['Sorry to hear that. What is your complaint about?'], quick_replies: CATEGORIES }, choose(CATEGORIES.map((c) => c.payload)), 'category');
  convo.ask('Please describe what happened.', [], 'description');
  convo.ask({ text: ['Your order number, if you have one?'], quick_replies: [{ title: 'No order number', payload: 'none' }] }, [], 'order');
  convo.ask(
    {
      text: ['A {{vars.category}} complaint about order {{vars.order}}. Shall I file it?'],
      quick_replies: [
        { title: 'Yes', payload: 'yes' },
        { title: 'No', payload: 'no' },
      ],
    },
    choose(['yes', 'no']),
    'confirmed',
  );
  convo.after(async (results, bot) => {
    if (results.confirmed === 'yes') {
      await bot.say('Filed. Our team will get back to you within a day.');
      return;
    }
    // A standard Bot Framework hand-off event: Parley passes the conversation to the team.
    await bot.say('Let me pass you to a colleague.');
    await bot.say({
      type: 'event',
      name: 'handoff.initiate',
      value: { team: 'complaints', note: 'complaint not confirmed', collected: { category: results.category, description: results.description } },
    });
  });
  return convo;
}

export default {
  dialogs: (controller) => [complaintDialog(controller)],
  start: 'complaint',
};
