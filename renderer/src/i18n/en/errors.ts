// English: the errors the admin handlers send with a message key (the same
// sentences as their English `message`, from one table in shared/), so a
// failed call reads the same in the UI as in the log.
import { ERROR_MESSAGES_EN } from '../../../../shared/ipc/error-messages.js';

export const errors = { ...ERROR_MESSAGES_EN } as const;
