// state: what the page knows from the server at start (not kept across a
// reload: it is fetched again).
export const app = {
  /** GET /api/info */
  info: { demo: false, language: "de", safety_level: "youth" },
  /** interception and output config summaries, in catalog order */
  interceptions: [],
  outputs: [],
  /** output config id → its uploads {min, max} from GET /api/configs/{id} */
  outputUploads: {},
};

/** The age a safety level is meant for; configs with a higher min_age are not offered. */
export const LEVEL_AGE = { kids: 8, youth: 13, adult: 18, research: 99 };
