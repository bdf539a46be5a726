import { describe, expect, it } from 'vitest';
import {
  combineTelemetry,
  parseBattery,
  parseCellInfo,
  parseDeviceInfo,
  parseWifi,
} from './termux-telemetry.ts';

describe('termux telemetry parsers', () => {
  it('battery: percentage, charging from status or plug, temperature and health', () => {
    expect(
      parseBattery(
        JSON.stringify({
          health: 'OVERHEAT',
          plugged: 'UNPLUGGED',
          status: 'DISCHARGING',
          temperature: 45.2,
          percentage: 12,
        }),
      ),
    ).toEqual({ percent: 12, charging: false, temperatureC: 45.2, health: 'overheat' });
    expect(
      parseBattery(JSON.stringify({ plugged: 'PLUGGED_AC', status: 'NOT_CHARGING', level: 50, scale: 200 })),
    ).toEqual({
      percent: 25,
      charging: true,
    });
    expect(parseBattery('{}')).toBeUndefined();
    expect(parseBattery('garbage')).toBeUndefined();
  });

  it('device info: carrier and data state; API_ERROR is no data', () => {
    expect(
      parseDeviceInfo(
        JSON.stringify({
          data_state: 'disconnected',
          sim_operator: '',
          network_operator: '20404',
          network_operator_name: 'Vodafone NL',
          sim_state: 'ready',
          phone_count: 1,
        }),
      ),
    ).toEqual({
      phoneCount: 1,
      carrier: 'Vodafone NL',
      mccMnc: '20404',
      dataConnected: false,
      simReady: true,
    });
    expect(parseDeviceInfo('{"API_ERROR":"no permission"}')).toBeUndefined();
  });

  it('cell info: registered cells only, unknown values dropped, mnc zero-padded', () => {
    expect(
      parseCellInfo(
        JSON.stringify([
          { type: 'lte', registered: true, dbm: 2147483647, level: 3, mcc: 262, mnc: 1 },
          { type: 'lte', registered: false, dbm: -90, level: 4 },
          { type: 'nr', registered: true, dbm: -95, level: 2, mcc: '310', mnc: '260' },
        ]),
      ),
    ).toEqual([
      { level: 3, mccMnc: '26201' },
      { dbm: -95, level: 2, mccMnc: '310260' },
    ]);
  });

  it('wifi: connected only when the supplicant completed with an address', () => {
    expect(parseWifi(JSON.stringify({ supplicant_state: 'COMPLETED', ip: '10.0.0.2' }))).toBe(true);
    expect(parseWifi(JSON.stringify({ supplicant_state: 'DISCONNECTED', ip: '0.0.0.0' }))).toBe(false);
    expect(parseWifi('{"API_ERROR":"No current connection"}')).toBe(false);
    expect(parseWifi('oops')).toBeUndefined();
  });

  it('combines what is there', () => {
    expect(combineTelemetry({})).toEqual({});
    expect(combineTelemetry({ wifi: false, device: { dataConnected: false } })).toEqual({
      network: { type: 'none', connected: false },
    });
    expect(combineTelemetry({ wifi: false })).toEqual({ network: { type: 'unknown' } });
    expect(combineTelemetry({ cells: [{ dbm: -100, level: 1, mccMnc: '26203' }] })).toEqual({
      sims: [{ slot: 0, carrier: null, mccMnc: '26203', signalDbm: -100, signalLevel: 1 }],
    });
    expect(combineTelemetry({ device: { carrier: 'X', simReady: false } })).toEqual({});
  });
});
