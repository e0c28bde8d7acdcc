// Daily figures (the API's `dailyStats`, one row per local day) added up by week or month in the browser.
// Pure functions: the days are already local calendar dates ("YYYY-MM-DD") in the user's time zone.

export type Period = 'day' | 'week' | 'month';

export interface MoneyTotal {
  amount: string | number;
  currency: string;
}

export interface DayFigures {
  date: string;
  distance: number;
  energyUsedKwh?: number | null | undefined;
  energyAddedKwh: number;
  costs: readonly MoneyTotal[];
  costComplete: boolean;
  drives: number;
  charges: number;
  drivingSeconds: number;
  chargingSeconds: number;
}

export interface PeriodFigures {
  /** The period's first day ("YYYY-MM-DD"; a Monday for weeks, the 1st for months). */
  start: string;
  /** The first and last day of the data in it. */
  from: string;
  to: string;
  days: number;
  distance: number;
  /** Null when no day in the period knows it. */
  energyUsedKwh: number | null;
  energyAddedKwh: number;
  /** Per currency, sorted by code. */
  costs: { currency: string; amount: number }[];
  /** False when a charge in the period has no known cost. */
  costComplete: boolean;
  drives: number;
  charges: number;
  drivingSeconds: number;
  chargingSeconds: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function utcDate(date: string): Date {
  const match = DATE.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

/** The first day of the period holding `date`: itself, the Monday on or before it, or the 1st of its month. */
export function periodStart(date: string, period: Period, weekStartsOn = 1): string {
  if (period === 'day') return utcDate(date).toISOString().slice(0, 10);
  if (period === 'month') return `${date.slice(0, 7)}-01`;
  const d = utcDate(date);
  const back = (d.getUTCDay() - weekStartsOn + 7) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d.toISOString().slice(0, 10);
}

// sums of money and energy without binary-fraction noise (0.1 + 0.2)
const tidy = (v: number): number => Number(v.toFixed(6));

/** The days added up per period, oldest first (the input may come in any order). */
export function aggregate(days: readonly DayFigures[], period: Period, weekStartsOn = 1): PeriodFigures[] {
  return group(days, (date) => periodStart(date, period, weekStartsOn));
}

/** All the days added up into one (its start is the first day); null for no days. */
export function total(days: readonly DayFigures[]): PeriodFigures | null {
  return group(days, () => '')[0] ?? null;
}

function group(days: readonly DayFigures[], keyOf: (date: string) => string): PeriodFigures[] {
  const groups = new Map<string, PeriodFigures & { money: Map<string, number> }>();
  const sorted = [...days].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const day of sorted) {
    const key = keyOf(day.date);
    let g = groups.get(key);
    if (!g) {
      g = {
        start: key || day.date,
        from: day.date,
        to: day.date,
        days: 0,
        distance: 0,
        energyUsedKwh: null,
        energyAddedKwh: 0,
        costs: [],
        costComplete: true,
        drives: 0,
        charges: 0,
        drivingSeconds: 0,
        chargingSeconds: 0,
        money: new Map(),
      };
      groups.set(key, g);
    }
    g.to = day.date;
    g.days += 1;
    g.distance += day.distance;
    if (day.energyUsedKwh != null) g.energyUsedKwh = (g.energyUsedKwh ?? 0) + day.energyUsedKwh;
    g.energyAddedKwh += day.energyAddedKwh;
    g.costComplete &&= day.costComplete;
    g.drives += day.drives;
    g.charges += day.charges;
    g.drivingSeconds += day.drivingSeconds;
    g.chargingSeconds += day.chargingSeconds;
    for (const cost of day.costs) {
      const amount = Number(cost.amount);
      if (!Number.isFinite(amount)) continue;
      g.money.set(cost.currency, (g.money.get(cost.currency) ?? 0) + amount);
    }
  }
  return [...groups.values()].map(({ money, ...g }) => ({
    ...g,
    distance: tidy(g.distance),
    energyUsedKwh: g.energyUsedKwh === null ? null : tidy(g.energyUsedKwh),
    energyAddedKwh: tidy(g.energyAddedKwh),
    costs: [...money.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => ({ currency, amount: tidy(amount) })),
  }));
}
