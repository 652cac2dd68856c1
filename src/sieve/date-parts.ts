// RFC 5260 §4.2 date-parts of an instant seen in a time zone: year, month, day, date, julian, hour,
// minute, second, time, iso8601, std11, zone, weekday.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Modified Julian Day of 1970-01-01. */
const MJD_EPOCH = 40587;

/** "+0100" / "-0530" → minutes east of UTC. */
export function parseZone(zone: string): number | null {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(zone);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

function formatZone(offsetMinutes: number, colon: boolean): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** The value of `part` for `instant` in the zone `offsetMinutes` east of UTC; null for an unknown part. */
export function datePart(instant: Date, offsetMinutes: number, part: string): string | null {
  const local = new Date(instant.getTime() + offsetMinutes * 60_000);
  const year = pad(local.getUTCFullYear(), 4);
  const month = pad(local.getUTCMonth() + 1);
  const day = pad(local.getUTCDate());
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  switch (part.toLowerCase()) {
    case 'year':
      return year;
    case 'month':
      return month;
    case 'day':
      return day;
    case 'date':
      return `${year}-${month}-${day}`;
    case 'julian':
      return String(Math.floor(local.getTime() / 86_400_000) + MJD_EPOCH);
    case 'hour':
      return pad(local.getUTCHours());
    case 'minute':
      return pad(local.getUTCMinutes());
    case 'second':
      return pad(local.getUTCSeconds());
    case 'time':
      return time;
    case 'iso8601':
      return `${year}-${month}-${day}T${time}${formatZone(offsetMinutes, true)}`;
    case 'std11':
      return `${DAYS[local.getUTCDay()]}, ${local.getUTCDate()} ${MONTHS[local.getUTCMonth()]} ${year} ${time} ${formatZone(offsetMinutes, false)}`;
    case 'zone':
      return formatZone(offsetMinutes, false);
    case 'weekday':
      return String(local.getUTCDay());
    default:
      return null;
  }
}
