// The CAPABILITY list: fixed protocol extensions plus what the auth policy allows on this connection.
// Only extensions that are implemented and pass their conformance scripts are listed.
import type { SessionState } from './types.js';
import { RIGHTS_CAPABILITY } from '../store/types.js';

export const EXTENSIONS = [
  'IMAP4rev1',
  'IMAP4rev2',
  'LITERAL+',
  'SASL-IR',
  'ID',
  'IDLE',
  'NAMESPACE',
  'ACL',
  RIGHTS_CAPABILITY,
  'LIST-MYRIGHTS',
  'UIDPLUS',
  'UNSELECT',
  'ENABLE',
  'MOVE',
  'CHILDREN',
  'SPECIAL-USE',
  'CREATE-SPECIAL-USE',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'STATUS=SIZE',
  'ESEARCH',
  'SEARCHRES',
  'UTF8=ACCEPT',
  'MULTIAPPEND',
  'CATENATE',
  'URLAUTH',
  'URLAUTH=BINARY',
  'BINARY',
  'SORT',
  'SORT=DISPLAY',
  'ESORT',
  'CONTEXT=SEARCH',
  'CONTEXT=SORT',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
  'CONDSTORE',
  'QRESYNC',
  'QUOTA',
  'QUOTA=RES-STORAGE',
  'QUOTA=RES-MESSAGE',
  'OBJECTID',
  'PREVIEW',
  'WITHIN',
  'I18NLEVEL=1',
  'METADATA',
  'METADATA-SERVER',
  'LIST-METADATA',
  'REPLACE',
  'SAVEDATE',
  'UIDONLY',
  'NOTIFY',
] as const;

export interface CapabilityInputs {
  state: SessionState;
  secure: boolean;
  tlsAvailable: boolean;
  mechanisms: string[];
  passwordLoginAllowed: boolean;
  /** Largest message APPEND takes (RFC 7889); undefined = no limit. */
  appendLimit: number | undefined;
}

export function capabilityList(i: CapabilityInputs): string[] {
  const caps: string[] = [...EXTENSIONS];
  // RFC 7889 §3: with no limit the bare capability still tells clients to ask STATUS (which says NIL).
  caps.push(i.appendLimit === undefined ? 'APPENDLIMIT' : `APPENDLIMIT=${i.appendLimit}`);
  // RFC 4978: COMPRESS is accepted once authenticated, so it is offered from then on.
  if (i.state !== 'notauth') caps.push('COMPRESS=DEFLATE');
  if (i.state === 'notauth') {
    if (!i.secure && i.tlsAvailable) caps.push('STARTTLS');
    if (!i.passwordLoginAllowed) caps.push('LOGINDISABLED');
    for (const m of i.mechanisms) caps.push(`AUTH=${m}`);
  }
  return caps;
}
