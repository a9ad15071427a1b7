// jest setupFiles: runs before each test file, so before miniprogram-simulate is required.
import { installForwardingWx } from 'devcloud';

installForwardingWx();
