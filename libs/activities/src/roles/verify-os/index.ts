export {
  createVerifyOsActivities,
  parseOsRelease,
  versionMatches,
  type VerifyOsDeps,
} from './verify-os-activities';
