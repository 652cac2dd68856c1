// The command table: IMAP command name → handler. UID variants share the handler (ctx.uid).
import type { CommandSpec } from '../types.js';
import { capability } from './capability.js';
import { noop, check } from './noop.js';
import { logout } from './logout.js';
import { starttls } from './starttls.js';
import { compress } from './compress.js';
import { login } from './login.js';
import { authenticate } from './authenticate.js';
import { enable } from './enable.js';
import { id } from './id.js';
import { namespace } from './namespace.js';
import { select, examine } from './select.js';
import { create, del, rename, subscribe, unsubscribe } from './mailboxes.js';
import { list, lsub } from './list.js';
import { status } from './status.js';
import { append } from './append.js';
import { close, unselect } from './close.js';
import { expunge } from './expunge.js';
import { search, cancelupdate } from './search.js';
import { sort } from './sort.js';
import { thread } from './thread.js';
import { fetch } from './fetch.js';
import { store } from './store.js';
import { copy, move } from './copy.js';
import { idle } from './idle.js';
import { genurlauth, urlfetch, resetkey } from './urlauth.js';
import { getquota, getquotaroot, setquota } from './quota.js';
import { setacl } from './setacl.js';
import { deleteacl } from './deleteacl.js';
import { getacl } from './getacl.js';
import { listrights } from './listrights.js';
import { myrights } from './myrights.js';
import { getmetadata, setmetadata } from './metadata.js';
import { replace } from './replace.js';
import { notify } from './notify.js';

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  CAPABILITY: capability,
  NOOP: noop,
  CHECK: check,
  LOGOUT: logout,
  STARTTLS: starttls,
  COMPRESS: compress,
  LOGIN: login,
  AUTHENTICATE: authenticate,
  ENABLE: enable,
  ID: id,
  NAMESPACE: namespace,
  SELECT: select,
  EXAMINE: examine,
  CREATE: create,
  DELETE: del,
  RENAME: rename,
  SUBSCRIBE: subscribe,
  UNSUBSCRIBE: unsubscribe,
  LIST: list,
  LSUB: lsub,
  STATUS: status,
  APPEND: append,
  CLOSE: close,
  UNSELECT: unselect,
  EXPUNGE: expunge,
  SEARCH: search,
  CANCELUPDATE: cancelupdate,
  SORT: sort,
  THREAD: thread,
  FETCH: fetch,
  STORE: store,
  COPY: copy,
  MOVE: move,
  IDLE: idle,
  NOTIFY: notify,
  GENURLAUTH: genurlauth,
  URLFETCH: urlfetch,
  RESETKEY: resetkey,
  GETQUOTA: getquota,
  GETQUOTAROOT: getquotaroot,
  SETQUOTA: setquota,
  SETACL: setacl,
  DELETEACL: deleteacl,
  GETACL: getacl,
  LISTRIGHTS: listrights,
  MYRIGHTS: myrights,
  GETMETADATA: getmetadata,
  SETMETADATA: setmetadata,
  REPLACE: replace,
};
