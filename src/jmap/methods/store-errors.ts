// Maps typed store errors to JMAP method errors and SetErrors, in one place.
import { MethodError, setError, type SetFailure } from '../errors.js';
import { InvalidArgumentError, isStoreError, OverQuotaError } from '../../store/errors.js';

/** A store error raised for a whole call; anything else is rethrown (the dispatcher logs serverFail). */
export function methodErrorFrom(err: unknown): never {
  if (isStoreError(err)) {
    switch (err.code) {
      case 'stateMismatch':
        throw new MethodError('stateMismatch');
      case 'cannotCalculateChanges':
        throw new MethodError('cannotCalculateChanges');
      case 'invalidArgument':
        throw new MethodError('invalidArguments', err.message);
      case 'unavailable':
        throw new MethodError('serverUnavailable', 'the mail store is unavailable; retry later');
      case 'forbidden':
      case 'noPermission':
        throw new MethodError('forbidden', err.message);

      default:
        break;
    }
  }
  throw err;
}

/** A store error raised for one object of a /set: becomes that object's SetError. */
export function setFailureFrom(err: unknown, property?: string): SetFailure {
  if (isStoreError(err)) {
    const props = property ? { properties: [property] } : {};
    switch (err.code) {
      case 'overQuota':
        // RFC 9661 §3: a script over the size limit is tooLarge, one script too many overQuota.
        if (err instanceof OverQuotaError && err.resource === 'sieveScriptSize') return setError('tooLarge', err.message);
        return setError('overQuota', err.message);
      case 'noSuchSieveScript':
        return setError('notFound', err.message);
      case 'sieveScriptExists':
        return setError('alreadyExists', err.message, { properties: ['name'] });
      case 'sieveScriptActive':
        return setError('sieveIsActive', 'the active script cannot be destroyed; deactivate it first');
      case 'noSuchMailbox':
        return setError(property ? 'invalidProperties' : 'notFound', err.message, props);
      case 'mailboxExists':
        return setError('invalidProperties', 'a mailbox with this name already exists under this parent', { properties: ['name'] });
      case 'mailboxHasChildren':
        return setError('mailboxHasChild', err.message);
      case 'mailboxNotEmpty':
        return setError('mailboxHasEmail', err.message);
      case 'forbidden':
      case 'noPermission':
        return setError('forbidden', err.message);
      case 'invalidName':
        return setError('invalidProperties', err.message, { properties: ['name'] });
      case 'noSuchEmail':
        return setError('notFound', err.message);
      case 'invalidArgument': {
        // The store names the refused field when it knows it; the caller's guess comes second.
        const field = err instanceof InvalidArgumentError ? err.field ?? property : property;
        return setError('invalidProperties', err.message, field ? { properties: [field] } : {});
      }
      default:
        break;
    }
  }
  throw err;
}
