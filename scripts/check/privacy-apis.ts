/**
 * Which mini-program APIs and components process which user information, as WeChat's 用户隐私保护指引 knows it.
 *
 * WeChat disables a privacy API or component whose information the MP console's guideline (设置 > 服务内容声明 >
 * 用户隐私保护指引) does not declare ("<api>:fail api scope is not declared in the privacy agreement", errno 112),
 * and review rejects a guideline that declares more than the code uses. The mapping is WeChat's own table
 * 「隐私接口与对应的处理的信息关系」 in 小程序用户隐私保护指引内容介绍 (MAPPING_SOURCE); the console's label of each
 * kind of information is `privacy_desc` of the 用户隐私保护指引 API (LABEL_SOURCE).
 */

export const MAPPING_SOURCE =
  'https://developers.weixin.qq.com/miniprogram/dev/framework/user-privacy/miniprogram-intro.html';
export const LABEL_SOURCE =
  'https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/privacy_config/get_privacy_setting.html';

const API = 'https://developers.weixin.qq.com/miniprogram/dev/api';
const COMPONENT = 'https://developers.weixin.qq.com/miniprogram/dev/component';
const ABILITY = 'https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability';
const AUTHORIZE = `${API}/open-api/authorize/wx.authorize.html`;

/** One kind of user information the guideline can declare. */
export interface PrivacyInfo {
  /** The console's label for it (what privacy.json's `info` names), e.g. 手机号. */
  label: string;
  /** WeChat's privacy_key for it, as the third-party platform API spells it. */
  privacyKey: string;
  /** How the guideline words the processing (处理的信息), e.g. 收集你的手机号. */
  processing: string;
}

/** The kinds of information this table maps APIs to, by privacy_key. */
export const PRIVACY_INFO = {
  UserInfo: { label: '用户信息（微信昵称、头像）', privacyKey: 'UserInfo', processing: '收集你的昵称、头像' },
  PhoneNumber: { label: '手机号', privacyKey: 'PhoneNumber', processing: '收集你的手机号' },
  Location: { label: '位置信息', privacyKey: 'Location', processing: '收集你的位置信息' },
  ChooseLocation: { label: '选择的位置信息', privacyKey: 'ChooseLocation', processing: '收集你选择的位置信息' },
  Address: { label: '地址', privacyKey: 'Address', processing: '收集你的地址' },
  Invoice: { label: '发票信息', privacyKey: 'Invoice', processing: '收集你的发票信息' },
  RunData: { label: '微信运动数据', privacyKey: 'RunData', processing: '收集你的微信运动步数' },
  Album: { label: '选中的照片或视频信息', privacyKey: 'Album', processing: '收集你选中的照片或视频信息' },
  MessageFile: { label: '选中的文件', privacyKey: 'MessageFile', processing: '收集你选中的文件' },
  LicensePlate: { label: '车牌号', privacyKey: 'LicensePlate', processing: '收集你的车牌号' },
  Record: { label: '麦克风', privacyKey: 'Record', processing: '访问你的麦克风' },
  Camera: { label: '摄像头', privacyKey: 'Camera', processing: '访问你的摄像头' },
  BlueTooth: { label: '蓝牙', privacyKey: 'BlueTooth', processing: '访问你的蓝牙' },
  AlbumWriteOnly: {
    label: '相册（仅写入）权限',
    privacyKey: 'AlbumWriteOnly',
    processing: '使用你的相册（仅写入）权限',
  },
  Contact: { label: '通讯录（仅写入）权限', privacyKey: 'Contact', processing: '使用你的通讯录（仅写入）权限' },
  CalendarWriteOnly: {
    label: '日历（仅写入）权限',
    privacyKey: 'CalendarWriteOnly',
    processing: '使用你的日历（仅写入）权限',
  },
  Clipboard: { label: '剪切板', privacyKey: 'Clipboard', processing: '读取你的剪切板' },
} as const satisfies Record<string, PrivacyInfo>;
export type PrivacyInfoKey = keyof typeof PRIVACY_INFO;

/**
 * Information the developer may collect by other means than a WeChat API (a form, the server): the console asks
 * for it too, and no scan can see it, so privacy.json may declare it with `"selfCollected": true`.
 */
export const SELF_COLLECTED_INFO: readonly PrivacyInfo[] = [
  { label: '设备信息', privacyKey: 'DeviceInfo', processing: '收集你的设备信息' },
  { label: '身份证号码', privacyKey: 'EXIDNumber', processing: '收集你的身份证号码' },
  { label: '订单信息', privacyKey: 'EXOrderInfo', processing: '收集你的订单信息' },
  { label: '发布内容', privacyKey: 'EXUserPublishContent', processing: '收集你的发布内容' },
  { label: '所关注账号', privacyKey: 'EXUserFollowAcct', processing: '收集你的所关注账号' },
  { label: '操作日志', privacyKey: 'EXUserOpLog', processing: '收集你的操作日志' },
  { label: '邮箱', privacyKey: 'Email', processing: '收集你的邮箱' },
];

/**
 * How a use is found:
 * - `wx`: a call or reference `wx.<name>` in .ts/.js;
 * - `scope`: the string 'scope.<name>' in .ts/.js (wx.authorize({ scope }) and friends);
 * - `component`: a WXML element `<tag>`, optionally only with attribute `attr` = `value` (a data-bound value counts
 *   when one of its quoted strings, or its plain text, is `value`).
 */
export type PrivacyUse =
  | { kind: 'wx'; name: string }
  | { kind: 'scope'; name: string }
  | { kind: 'component'; tag: string; attr?: string; value?: string };

export interface PrivacyApi {
  /** How reports name it. */
  api: string;
  use: PrivacyUse;
  /** The information it processes: every one must be declared. */
  info: readonly PrivacyInfoKey[];
  /** The official doc of the API or component. */
  source: string;
}

const wx = (name: string, info: PrivacyInfoKey, source: string): PrivacyApi => ({
  api: `wx.${name}`,
  use: { kind: 'wx', name },
  info: [info],
  source,
});
const scope = (name: string, info: PrivacyInfoKey): PrivacyApi => ({
  api: `wx.authorize({ scope: 'scope.${name}' })`,
  use: { kind: 'scope', name },
  info: [info],
  source: AUTHORIZE,
});
const openType = (value: string, info: PrivacyInfoKey, source: string): PrivacyApi => ({
  api: `<button open-type="${value}">`,
  use: { kind: 'component', tag: 'button', attr: 'open-type', value },
  info: [info],
  source,
});
const element = (tag: string, info: readonly PrivacyInfoKey[], source: string): PrivacyApi => ({
  api: `<${tag}>`,
  use: { kind: 'component', tag },
  info,
  source,
});

/** THE table: every privacy-relevant API and component the check looks for. */
export const PRIVACY_APIS: readonly PrivacyApi[] = [
  // 收集你的昵称、头像
  openType('chooseAvatar', 'UserInfo', `${ABILITY}/userProfile.html`),
  {
    api: '<input type="nickname">',
    use: { kind: 'component', tag: 'input', attr: 'type', value: 'nickname' },
    info: ['UserInfo'],
    source: `${ABILITY}/userProfile.html`,
  },
  // 收集你的手机号 (both billed per success: 0.03 / 0.04 CNY)
  openType('getPhoneNumber', 'PhoneNumber', `${ABILITY}/getPhoneNumber.html`),
  openType('getRealtimePhoneNumber', 'PhoneNumber', `${ABILITY}/getRealtimePhoneNumber.html`),
  // 收集你的位置信息
  wx('getLocation', 'Location', `${API}/location/wx.getLocation.html`),
  wx('getFuzzyLocation', 'Location', `${API}/location/wx.getFuzzyLocation.html`),
  wx('startLocationUpdate', 'Location', `${API}/location/wx.startLocationUpdate.html`),
  wx('startLocationUpdateBackground', 'Location', `${API}/location/wx.startLocationUpdateBackground.html`),
  scope('userLocation', 'Location'),
  scope('userLocationBackground', 'Location'),
  scope('userFuzzyLocation', 'Location'),
  // 收集你选择的位置信息
  wx('chooseLocation', 'ChooseLocation', `${API}/location/wx.chooseLocation.html`),
  wx('choosePoi', 'ChooseLocation', `${API}/location/wx.choosePoi.html`),
  // 收集你的地址
  wx('chooseAddress', 'Address', `${API}/open-api/address/wx.chooseAddress.html`),
  // 收集你的发票信息
  wx('chooseInvoiceTitle', 'Invoice', `${API}/open-api/invoice/wx.chooseInvoiceTitle.html`),
  wx('chooseInvoice', 'Invoice', `${API}/open-api/invoice/wx.chooseInvoice.html`),
  // 收集你的微信运动步数
  wx('getWeRunData', 'RunData', `${API}/open-api/werun/wx.getWeRunData.html`),
  scope('werun', 'RunData'),
  // 收集你选中的照片或视频信息
  wx('chooseImage', 'Album', `${API}/media/image/wx.chooseImage.html`),
  wx('chooseMedia', 'Album', `${API}/media/video/wx.chooseMedia.html`),
  wx('chooseVideo', 'Album', `${API}/media/video/wx.chooseVideo.html`),
  // 收集你选中的文件
  wx('chooseMessageFile', 'MessageFile', `${API}/media/image/wx.chooseMessageFile.html`),
  // 收集你的车牌号
  wx('chooseLicensePlate', 'LicensePlate', `${API}/open-api/license-plate/wx.chooseLicensePlate.html`),
  // 访问你的麦克风 (RecorderManager.start: the manager comes from wx.getRecorderManager)
  wx('startRecord', 'Record', `${API}/media/recorder/wx.startRecord.html`),
  wx('getRecorderManager', 'Record', `${API}/media/recorder/wx.getRecorderManager.html`),
  wx('joinVoIPChat', 'Record', `${API}/media/voip/wx.joinVoIPChat.html`),
  scope('record', 'Record'),
  element('live-pusher', ['Record', 'Camera'], `${COMPONENT}/live-pusher.html`),
  // 访问你的摄像头
  element('camera', ['Camera'], `${COMPONENT}/camera.html`),
  element('voip-room', ['Camera'], `${COMPONENT}/voip-room.html`),
  wx('createVKSession', 'Camera', `${API}/ai/visionkit/wx.createVKSession.html`),
  scope('camera', 'Camera'),
  // 访问你的蓝牙
  wx('openBluetoothAdapter', 'BlueTooth', `${API}/device/bluetooth/wx.openBluetoothAdapter.html`),
  wx('createBLEPeripheralServer', 'BlueTooth', `${API}/device/bluetooth-peripheral/wx.createBLEPeripheralServer.html`),
  scope('bluetooth', 'BlueTooth'),
  // 使用你的相册（仅写入）权限
  wx('saveImageToPhotosAlbum', 'AlbumWriteOnly', `${API}/media/image/wx.saveImageToPhotosAlbum.html`),
  wx('saveVideoToPhotosAlbum', 'AlbumWriteOnly', `${API}/media/video/wx.saveVideoToPhotosAlbum.html`),
  scope('writePhotosAlbum', 'AlbumWriteOnly'),
  // 使用你的通讯录（仅写入）权限
  wx('addPhoneContact', 'Contact', `${API}/device/contact/wx.addPhoneContact.html`),
  scope('addPhoneContact', 'Contact'),
  // 使用你的日历（仅写入）权限
  wx('addPhoneCalendar', 'CalendarWriteOnly', `${API}/device/calendar/wx.addPhoneCalendar.html`),
  wx('addPhoneRepeatCalendar', 'CalendarWriteOnly', `${API}/device/calendar/wx.addPhoneRepeatCalendar.html`),
  scope('addPhoneCalendar', 'CalendarWriteOnly'),
  // 读取你的剪切板
  wx('getClipboardData', 'Clipboard', `${API}/device/clipboard/wx.getClipboardData.html`),
  wx('setClipboardData', 'Clipboard', `${API}/device/clipboard/wx.setClipboardData.html`),
];
