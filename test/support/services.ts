import { useDevice, type Device } from 'devcloud';
import type * as Config from '../../miniprogram/config';
import type * as AccountService from '../../miniprogram/services/account';
import type * as AuthService from '../../miniprogram/services/auth';
import type * as CloudService from '../../miniprogram/services/cloud';
import type * as PrivacyService from '../../miniprogram/services/privacy';
import type * as RequestService from '../../miniprogram/services/request';

export interface ClientServices {
  auth: typeof AuthService;
  account: typeof AccountService;
  cloud: typeof CloudService;
  privacy: typeof PrivacyService;
  request: typeof RequestService;
}

/**
 * A launch of the mini-program on `device`: fresh copies of the real client services (their module state, like
 * the single-flight login, is per launch, as on a phone), using that device's `wx`. `config` overrides
 * miniprogram/config.ts for this launch.
 */
export function launchServices(device: Device, config: { [K in keyof typeof Config]?: string } = {}): ClientServices {
  useDevice(device);
  let services!: ClientServices;
  jest.isolateModules(() => {
    if (Object.keys(config).length > 0) {
      jest.doMock('../../miniprogram/config', () => ({
        ...jest.requireActual<typeof Config>('../../miniprogram/config'),
        ...config,
      }));
    }
    services = {
      auth: jest.requireActual<typeof AuthService>('../../miniprogram/services/auth'),
      account: jest.requireActual<typeof AccountService>('../../miniprogram/services/account'),
      cloud: jest.requireActual<typeof CloudService>('../../miniprogram/services/cloud'),
      privacy: jest.requireActual<typeof PrivacyService>('../../miniprogram/services/privacy'),
      request: jest.requireActual<typeof RequestService>('../../miniprogram/services/request'),
    };
  });
  return services;
}
