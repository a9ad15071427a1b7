/** The local cloud as a whole: where it is, its modelled distances, its counters. */

/** GET /devcloud/info. */
export interface DevCloudInfo {
  url: string;
  appid: string;
  envId: string;
}

/** Modelled distances, in ms per call: function to database, function to WeChat, phone to cloud (callFunction). */
export interface Latency {
  databaseMs: number;
  wechatMs: number;
  /** One wx.cloud.callFunction round trip from the phone, on top of the function's own run. */
  callFunctionMs: number;
}

export interface DevCloudStats {
  functions: { invocations: number; coldStarts: number; peakInstanceRssBytes: number };
  /**
   * roundTrips: database calls. sequentialTrips: stretches of time with at least one call in flight, so calls made
   * in parallel count once (what a caller waits for, with latency set).
   */
  database: { roundTrips: number; sequentialTrips: number; byAction: Record<string, number> };
  wechat: Record<string, number>;
  devcloudRssBytes: number;
}
