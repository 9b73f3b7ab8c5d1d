// Chat settings: on/off, join messages, established-user mode, spam and slur filters, names.
import { card, serverConfig, setting } from '../forms.js';

export async function render(root) {
  const c = await serverConfig();
  root.append(
    card('Chat',
      setting({ name: 'chat/disable', label: 'Disable chat', type: 'checkbox', value: c.chatDisabled }),
      setting({ name: 'chat/joinmessagesenabled', label: 'Show join and leave messages', type: 'checkbox',
        value: c.chatJoinMessagesEnabled }),
      setting({ name: 'chat/establishedusermode', label: 'Only established users may chat', type: 'checkbox',
        value: c.chatEstablishedUserMode, help: 'New users must wait 15 minutes before sending messages.' }),
      setting({ name: 'chat/spamprotectionenabled', label: 'Spam protection (rate limit)', type: 'checkbox',
        value: c.chatSpamProtectionEnabled }),
      setting({ name: 'chat/slurfilterenabled', label: 'Filter slurs', type: 'checkbox', value: c.chatSlurFilterEnabled })),
    card('Names',
      setting({ name: 'chat/forbiddenusernames', label: 'Forbidden names', type: 'list', value: c.forbiddenUsernames }),
      setting({ name: 'chat/suggestedusernames', label: 'Suggested names for new users', type: 'list',
        value: c.suggestedUsernames, help: 'Used when there are at least 10.' })));
}
