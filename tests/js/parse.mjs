// Parse an iCalendar file with Mozilla's ical.js and print a JSON summary:
//   node parse.mjs FILE.ics [FROM YYYY-MM-DD] [TO YYYY-MM-DD]
// Recurring events are expanded between FROM and TO.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [file, from = "2023-01-01", to = "2023-07-01"] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const root = new ICAL.Component(ICAL.parse(text));
const start = ICAL.Time.fromDateString(from);
const end = ICAL.Time.fromDateString(to);
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const out = {
    uid: event.uid,
    summary: event.summary,
    start: event.startDate.toString(),
    end: event.endDate.toString(),
    isDate: event.startDate.isDate,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    alarms: component.getAllSubcomponents("valarm").length,
    recurring: event.isRecurring(),
    occurrences: [],
  };
  if (event.isRecurring()) {
    const it = event.iterator();
    for (let next = it.next(); next && next.compare(end) < 0; next = it.next()) {
      if (next.compare(start) >= 0) out.occurrences.push(next.toString());
    }
  }
  return out;
});
process.stdout.write(JSON.stringify({
  name: root.getFirstPropertyValue("x-wr-calname"),
  timezones: root.getAllSubcomponents("vtimezone").map((tz) => tz.getFirstPropertyValue("tzid")),
  events,
}));
