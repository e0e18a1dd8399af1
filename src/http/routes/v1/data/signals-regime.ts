import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { parseDay } from '../../../../market/calendar.ts';
import { CONSUMER_SECURITY, Day, RegimeSignal, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const signalsRegime: RouteModule = (app, s) => {
  app.get('/v1/signals/regime', {
    config: { permission: null, consumerScope: 'signals:read' },
    schema: {
      operationId: 'getRegime',
      tags: ['data: signals'],
      summary: 'The BTC regime signal at a close: state, close, SMA, band, days in state, last switch',
      description: 'Bear after 2 closes below 0.98·SMA(200), bull after 2 closes above 1.02·SMA(200); a switch decided at a close executes at the next (docs/methodology.md §5).',
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: RegimeSignal, ...dataErrors() },
    },
    handler: async (req) => {
      const { bullThreshold, bearThreshold, ...r } = await dataOf(s).index.regime(req.query.asOf);
      const since = r.lastSwitch === null ? null : parseDay(r.lastSwitch.executedOn);
      const at = parseDay(r.asOf);
      return { ...r, band: { bull: bullThreshold, bear: bearThreshold }, daysInState: since === null || at === null ? null : at - since };
    },
  });
};
