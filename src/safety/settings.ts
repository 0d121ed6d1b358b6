import type { Config } from '../config.ts';
import type { HealthSettings } from './health.ts';
import type { TrackSettings } from './zone-track.ts';

/** Every threshold of the safety rules; from config (docs/operations.md, "Safety"). Times in ms, distances in metres. */
export interface SafetySettings extends HealthSettings, TrackSettings {
  /** outside every safe zone this long raises `dwell`; 0: never */
  dwellMs: number;
  /** a move farther than this (beyond the fix's accuracy) ends `stationary` */
  stationaryRadiusM: number;
  /** an open alert is escalated (re-sent) this long after it was raised, and again after each escalation */
  escalateMs: number;
  /** escalations per alert at most */
  escalateMax: number;
  /** the interval asked of a patient's device normally, and while it matters */
  reportNormalMs: number;
  reportFastMs: number;
  /** after a patient starts leaving a zone, fast reporting is asked for this long */
  reportFastHoldMs: number;
  /** how often the patient's SDK should send its device heartbeat */
  heartbeatMs: number;
  /** a patient's zones, at most */
  maxZones: number;
}

export function safetySettings(config: Config): SafetySettings {
  return {
    marginM: config.SAFETY_ZONE_MARGIN_M,
    accuracyFactor: config.SAFETY_ACCURACY_FACTOR,
    confirmFixes: config.SAFETY_CONFIRM_FIXES,
    confirmMs: config.SAFETY_CONFIRM_MS,
    dwellMs: config.SAFETY_DWELL_MS,
    silentMs: config.SAFETY_SILENT_MS,
    stationaryMs: config.SAFETY_STATIONARY_MS,
    stationaryRadiusM: config.SAFETY_STATIONARY_RADIUS_M,
    batteryLowPercent: config.SAFETY_BATTERY_LOW_PERCENT,
    escalateMs: config.SAFETY_ESCALATE_MS,
    escalateMax: config.SAFETY_ESCALATE_MAX,
    reportNormalMs: config.SAFETY_REPORT_NORMAL_MS,
    reportFastMs: config.SAFETY_REPORT_FAST_MS,
    reportFastHoldMs: config.SAFETY_REPORT_FAST_HOLD_MS,
    heartbeatMs: config.SAFETY_HEARTBEAT_MS,
    maxZones: config.SAFETY_MAX_ZONES,
  };
}

/** The defaults, for tests and tools that have no config. */
export const DEFAULT_SAFETY: SafetySettings = {
  marginM: 20,
  accuracyFactor: 2.5,
  confirmFixes: 3,
  confirmMs: 30_000,
  dwellMs: 600_000,
  silentMs: 180_000,
  stationaryMs: 600_000,
  stationaryRadiusM: 50,
  batteryLowPercent: 15,
  escalateMs: 300_000,
  escalateMax: 6,
  reportNormalMs: 60_000,
  reportFastMs: 5_000,
  reportFastHoldMs: 300_000,
  heartbeatMs: 60_000,
  maxZones: 20,
};
