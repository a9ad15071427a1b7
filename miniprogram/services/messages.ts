import type { ErrorCode } from '../../contracts';

/**
 * What the user reads for each error code. Keyed by the shared contract, so adding a code without a message
 * fails the type-check. Lives inside miniprogram/ because it is a runtime value the client ships.
 */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: '请求参数有误，请更新小程序后重试',
  NO_IDENTITY: '无法获取微信身份，请在微信中打开小程序',
  CONFIG_ERROR: '服务配置异常，请联系客服',
  WX_CODE_INVALID: '登录凭证已失效，请重试',
  WX_RATE_LIMITED: '登录太频繁了，请稍后再试',
  WX_RISKY_USER: '当前微信账号存在安全风险，暂时无法登录',
  WX_UNAVAILABLE: '微信服务繁忙，请稍后重试',
  WX_CODE_MISMATCH: '登录信息不一致，请重试',
  INTERNAL: '服务暂时不可用，请稍后重试',
  USER_NOT_FOUND: '账号不存在，请重新登录',
  NICKNAME_INVALID: '昵称需为 1 到 20 个字符',
  CONTENT_RISKY: '昵称包含不合规内容，请修改后再试',
  AVATAR_INVALID: '头像文件无效，请重新选择',
  PHONE_CODE_INVALID: '手机号授权已过期，请重新点击获取',
  PHONE_QUOTA_EXHAUSTED: '手机号绑定暂不可用，请稍后再试',
  OPENAPI_PERMISSION_MISSING: '服务暂未开通该功能，请联系客服',
  SESSION_EXPIRED: '登录状态已过期，请重新点击获取',
  OPEN_DATA_INVALID: '数据校验失败，请重试',
  USER_BANNED: '该账号已被停用，如有疑问请联系客服',
  FORBIDDEN: '没有权限执行该操作',
  UNAUTHENTICATED: '登录状态已失效，请重新登录',
  REFRESH_INVALID: '登录状态已失效，请重新登录',
  REFRESH_REUSED: '登录状态已失效，请重新登录',
  PAYLOAD_TOO_LARGE: '内容过大，请换一张较小的图片',
  RATE_LIMITED: '操作太频繁了，请稍后再试',
  CONSENT_REQUIRED: '请先阅读并勾选同意《用户协议》和《隐私政策》',
  NETWORK: '网络异常，请检查网络后重试',
  WX_LOGIN_FAILED: '微信登录失败，请重试',
  BAD_RESPONSE: '服务返回异常，请稍后重试',
  PHONE_DENIED: '你已取消授权手机号',
  PHONE_UNAVAILABLE: '当前小程序暂不支持绑定手机号',
  PRIVACY_DENIED: '你未同意隐私保护指引，头像、昵称和手机号功能暂不可用',
  UPLOAD_FAILED: '头像上传失败，请重试',
  TOKEN_UNAVAILABLE: '暂时无法验证登录身份，请稍后重试',
  API_NOT_CONFIGURED: '尚未配置服务器地址',
  API_UNAUTHORIZED: '身份验证未通过，请重新登录后再试',
  API_ERROR: '服务器开小差了，请稍后重试',
};

export function messageFor(code: ErrorCode): string {
  // A code from a newer server than this client knows: still say something sensible.
  return ERROR_MESSAGES[code] ?? ERROR_MESSAGES.INTERNAL;
}
