/**
 * The protobuf messages of a cloud call and of cloud.getOpenData, hand-coded on protobufjs's Reader/Writer.
 *
 * No .proto ships with wx-server-sdk 4.0.2: the field numbers below are read from the generated code
 * inside node_modules/wx-server-sdk/index.js (`$root.KeyValuePair`, `$root.OpenApiData`,
 * `$root.CommApiData`, `$root.CommOpenApiResp`, `$root.HttpHeader`, `$root.SvrkitApiData`,
 * `$root.ApiGetOpenDataByCloudIdReq`, `$root.ApiGetOpenDataByCloudIdResp(.OpDataItem)`).
 */
import { Reader, Writer } from 'protobufjs/minimal';

/** KeyValuePair {1 key string, 2 value bytes, 3 contenttype string, 4 filename string} */
export interface KeyValuePair {
  key: string;
  value: Buffer;
  contenttype: string;
  filename: string;
}

/** CommApiData.ApiType */
export const ApiType = { OPEN_API: 0, INNER_API: 1, SVRKIT_API: 2, TOKEN_API: 3 } as const;

/** SvrkitApiData {1 apiName string, 2 reqData bytes}: the call's own protobuf request, e.g. ApiGetOpenDataByCloudIdReq. */
export interface SvrkitApiData {
  apiName: string;
  reqData: Buffer;
}

/**
 * CommApiData {1 apiType enum, 2 openapiData OpenApiData {1 repeated pairs}, 3 innerData, 4 svrkitData,
 * 5 tokenData, 6 appid string}. Kept: what a cloud call (OPEN_API) and cloud.getOpenData (SVRKIT_API) use;
 * 3 and 5 are skipped. `svrkitData` is present only when the message carries field 4.
 */
export interface CommApiData {
  apiType: number;
  pairs: KeyValuePair[];
  svrkitData?: SvrkitApiData;
  appid: string;
}

/** ApiGetOpenDataByCloudIdReq {2 repeated cloudidList string, 3 appid string} (no field 1). */
export interface ApiGetOpenDataByCloudIdReq {
  cloudidList: string[];
  appid: string;
}

/** ApiGetOpenDataByCloudIdResp.OpDataItem {1 cloudId string, 2 json string} */
export interface OpDataItem {
  cloudId: string;
  json: string;
}

/** ApiGetOpenDataByCloudIdResp {1 repeated dataList OpDataItem} */
export interface ApiGetOpenDataByCloudIdResp {
  dataList: OpDataItem[];
}

/** HttpHeader {1 key string, 2 value string} */
export interface HttpHeader {
  key: string;
  value: string;
}

/** CommOpenApiResp {1 respData bytes, 2 contentType string, 3 errorCode int32, 4 httpCode uint32, 5 repeated headers, 6 svrkitErrorCode int32} */
export interface CommOpenApiResp {
  respData?: Buffer;
  contentType?: string;
  errorCode?: number;
  httpCode?: number;
  headers?: HttpHeader[];
  svrkitErrorCode?: number;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function tag(field: number, wire: number): number {
  return (field << 3) | wire;
}

function decodePair(reader: Reader, end: number): KeyValuePair {
  const pair: KeyValuePair = { key: '', value: Buffer.alloc(0), contenttype: '', filename: '' };
  while (reader.pos < end) {
    const t = reader.uint32();
    switch (t >>> 3) {
      case 1:
        pair.key = reader.string();
        break;
      case 2:
        pair.value = Buffer.from(reader.bytes());
        break;
      case 3:
        pair.contenttype = reader.string();
        break;
      case 4:
        pair.filename = reader.string();
        break;
      default:
        reader.skipType(t & 7);
    }
  }
  return pair;
}

function decodeSvrkitApiData(reader: Reader, end: number): SvrkitApiData {
  const data: SvrkitApiData = { apiName: '', reqData: Buffer.alloc(0) };
  while (reader.pos < end) {
    const t = reader.uint32();
    switch (t >>> 3) {
      case 1:
        data.apiName = reader.string();
        break;
      case 2:
        data.reqData = Buffer.from(reader.bytes());
        break;
      default:
        reader.skipType(t & 7);
    }
  }
  return data;
}

function decodeOpenApiData(reader: Reader, end: number): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  while (reader.pos < end) {
    const t = reader.uint32();
    if (t >>> 3 === 1) {
      const len = reader.uint32();
      pairs.push(decodePair(reader, reader.pos + len));
    } else {
      reader.skipType(t & 7);
    }
  }
  return pairs;
}

/** Decodes the `requestData` part of a wx.openApi request (OPEN_API or SVRKIT_API). Throws on malformed input. */
export function decodeCommApiData(bytes: Uint8Array): CommApiData {
  const reader = Reader.create(bytes);
  const message: CommApiData = { apiType: ApiType.OPEN_API, pairs: [], appid: '' };
  while (reader.pos < reader.len) {
    const t = reader.uint32();
    switch (t >>> 3) {
      case 1:
        message.apiType = reader.int32();
        break;
      case 2: {
        const len = reader.uint32();
        message.pairs.push(...decodeOpenApiData(reader, reader.pos + len));
        break;
      }
      case 4: {
        const len = reader.uint32();
        message.svrkitData = decodeSvrkitApiData(reader, reader.pos + len);
        break;
      }
      case 6:
        message.appid = reader.string();
        break;
      default:
        reader.skipType(t & 7);
    }
  }
  return message;
}

/**
 * Encodes a CommApiData as the SDK does (used by tests and fakes that play the SDK's side): openapiData for an
 * OPEN_API call, svrkitData when given (cloud.getOpenData sends only apiType, svrkitData and appid).
 */
export function encodeCommApiData(message: CommApiData): Buffer {
  const writer = Writer.create();
  writer.uint32(tag(1, WIRE_VARINT)).int32(message.apiType);
  if (!message.svrkitData || message.pairs.length > 0) {
    writer.uint32(tag(2, WIRE_LEN)).fork();
    for (const pair of message.pairs) {
      writer.uint32(tag(1, WIRE_LEN)).fork();
      writer.uint32(tag(1, WIRE_LEN)).string(pair.key);
      writer.uint32(tag(2, WIRE_LEN)).bytes(pair.value);
      if (pair.contenttype) writer.uint32(tag(3, WIRE_LEN)).string(pair.contenttype);
      if (pair.filename) writer.uint32(tag(4, WIRE_LEN)).string(pair.filename);
      writer.ldelim();
    }
    writer.ldelim();
  }
  if (message.svrkitData) {
    writer.uint32(tag(4, WIRE_LEN)).fork();
    writer.uint32(tag(1, WIRE_LEN)).string(message.svrkitData.apiName);
    writer.uint32(tag(2, WIRE_LEN)).bytes(message.svrkitData.reqData);
    writer.ldelim();
  }
  if (message.appid) writer.uint32(tag(6, WIRE_LEN)).string(message.appid);
  return Buffer.from(writer.finish());
}

/** Encodes the reply of a wx.openApi request. Absent fields stay off the wire, as protobufjs does. */
export function encodeCommOpenApiResp(message: CommOpenApiResp): Buffer {
  const writer = Writer.create();
  if (message.respData !== undefined) writer.uint32(tag(1, WIRE_LEN)).bytes(message.respData);
  if (message.contentType !== undefined) writer.uint32(tag(2, WIRE_LEN)).string(message.contentType);
  if (message.errorCode !== undefined) writer.uint32(tag(3, WIRE_VARINT)).int32(message.errorCode);
  if (message.httpCode !== undefined) writer.uint32(tag(4, WIRE_VARINT)).uint32(message.httpCode);
  for (const header of message.headers ?? []) {
    writer.uint32(tag(5, WIRE_LEN)).fork();
    writer.uint32(tag(1, WIRE_LEN)).string(header.key);
    writer.uint32(tag(2, WIRE_LEN)).string(header.value);
    writer.ldelim();
  }
  if (message.svrkitErrorCode !== undefined) writer.uint32(tag(6, WIRE_VARINT)).int32(message.svrkitErrorCode);
  return Buffer.from(writer.finish());
}

/** Decodes a reply (for tests; the SDK has its own decoder). */
export function decodeCommOpenApiResp(bytes: Uint8Array): CommOpenApiResp {
  const reader = Reader.create(bytes);
  const message: CommOpenApiResp = {};
  while (reader.pos < reader.len) {
    const t = reader.uint32();
    switch (t >>> 3) {
      case 1:
        message.respData = Buffer.from(reader.bytes());
        break;
      case 2:
        message.contentType = reader.string();
        break;
      case 3:
        message.errorCode = reader.int32();
        break;
      case 4:
        message.httpCode = reader.uint32();
        break;
      case 6:
        message.svrkitErrorCode = reader.int32();
        break;
      default:
        reader.skipType(t & 7);
    }
  }
  return message;
}

/** Decodes SvrkitApiData.reqData of ApiGetOpenDataByCloudId. Throws on malformed input. */
export function decodeApiGetOpenDataByCloudIdReq(bytes: Uint8Array): ApiGetOpenDataByCloudIdReq {
  const reader = Reader.create(bytes);
  const message: ApiGetOpenDataByCloudIdReq = { cloudidList: [], appid: '' };
  while (reader.pos < reader.len) {
    const t = reader.uint32();
    switch (t >>> 3) {
      case 2:
        message.cloudidList.push(reader.string());
        break;
      case 3:
        message.appid = reader.string();
        break;
      default:
        reader.skipType(t & 7);
    }
  }
  return message;
}

/** Encodes an ApiGetOpenDataByCloudIdReq as the SDK does (for tests). */
export function encodeApiGetOpenDataByCloudIdReq(message: ApiGetOpenDataByCloudIdReq): Buffer {
  const writer = Writer.create();
  for (const id of message.cloudidList) writer.uint32(tag(2, WIRE_LEN)).string(id);
  if (message.appid) writer.uint32(tag(3, WIRE_LEN)).string(message.appid);
  return Buffer.from(writer.finish());
}

/** Encodes the respData of ApiGetOpenDataByCloudId. An empty json stays off the wire, as protobufjs does with ''. */
export function encodeApiGetOpenDataByCloudIdResp(message: ApiGetOpenDataByCloudIdResp): Buffer {
  const writer = Writer.create();
  for (const item of message.dataList) {
    writer.uint32(tag(1, WIRE_LEN)).fork();
    writer.uint32(tag(1, WIRE_LEN)).string(item.cloudId);
    if (item.json) writer.uint32(tag(2, WIRE_LEN)).string(item.json);
    writer.ldelim();
  }
  return Buffer.from(writer.finish());
}

/** Decodes the respData of ApiGetOpenDataByCloudId (for tests; the SDK has its own decoder). */
export function decodeApiGetOpenDataByCloudIdResp(bytes: Uint8Array): ApiGetOpenDataByCloudIdResp {
  const reader = Reader.create(bytes);
  const message: ApiGetOpenDataByCloudIdResp = { dataList: [] };
  while (reader.pos < reader.len) {
    const t = reader.uint32();
    if (t >>> 3 === 1) {
      const len = reader.uint32();
      const end = reader.pos + len;
      const item: OpDataItem = { cloudId: '', json: '' };
      while (reader.pos < end) {
        const it = reader.uint32();
        if (it >>> 3 === 1) item.cloudId = reader.string();
        else if (it >>> 3 === 2) item.json = reader.string();
        else reader.skipType(it & 7);
      }
      message.dataList.push(item);
    } else {
      reader.skipType(t & 7);
    }
  }
  return message;
}
