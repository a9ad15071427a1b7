/** The control API under /devcloud: every route group's table, in the order README lists them. */
import { Router } from '../router';
import { CALLS_ROUTES } from './calls';
import { CONSOLE_ROUTES } from './console';
import { CORE_ROUTES } from './core';
import { DOCUMENT_ROUTES } from './documents';
import { PHONE_ROUTES } from './phone';

export const CONTROL_API = new Router([CORE_ROUTES, PHONE_ROUTES, CALLS_ROUTES, CONSOLE_ROUTES, DOCUMENT_ROUTES]);
