// English: the field problems of shared/forms (the same sentences the
// handlers send), so forms and handlers say the same thing.
import { FORM_MESSAGES_EN } from '../../../../shared/forms/messages.js';

export const forms = { ...FORM_MESSAGES_EN } as const;
