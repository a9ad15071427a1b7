import simulate from 'miniprogram-simulate';
import type { Device } from 'devcloud';
import { gesture, text, until, type RenderedPage } from './pages';

/** The id of the popup's agree button (components/privacy-popup): WeChat checks that this button was tapped. */
export const AGREE_BUTTON_ID = 'privacy-agree-btn';

/** The privacy popup rendered inside a page. */
export function popupOf(page: RenderedPage): RenderedPage {
  const popup = page.querySelector('#privacy-popup');
  if (!popup) throw new Error('the page has no privacy popup');
  return popup;
}

export function popupVisible(page: RenderedPage): boolean {
  const popup = page.querySelector('#privacy-popup');
  return Boolean(popup && (popup.data as { visible?: boolean }).visible);
}

/** Waits until the popup is on screen, and returns its text. */
export async function popupShown(page: RenderedPage): Promise<string> {
  await until(page, () => popupVisible(page));
  return text(popupOf(page), '.privacy-dialog') ?? '';
}

/** The user taps 同意: WeChat records the tap on the agree button, the component answers the waiting calls. */
export async function agreeInPopup(page: RenderedPage, device: Device): Promise<void> {
  const { detail } = device.privacy.tapAgreeButton(AGREE_BUTTON_ID);
  await gesture(popupOf(page), `#${AGREE_BUTTON_ID}`, 'agreeprivacyauthorization', detail);
  await simulate.sleep(0);
}

/** The user taps 不同意. */
export async function disagreeInPopup(page: RenderedPage): Promise<void> {
  await gesture(popupOf(page), '#privacy-disagree-btn', 'tap');
  await simulate.sleep(0);
}

/** The user ticks (or unticks) 我已阅读并同意《用户协议》和《隐私政策》. */
export async function tickConsent(page: RenderedPage, checked = true): Promise<void> {
  await gesture(page, '.consent-group', 'change', { value: checked ? ['agree'] : [] });
}
