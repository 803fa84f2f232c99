import { z } from 'zod';
import { NotFoundError } from '../../errors/index.js';
import { DASHBOARD_CSP, isAssetName, loadDashboardAssets, type DashboardAsset } from '../../dashboard/dashboard-assets.js';
import type { AppRouterContext } from '../app-types.js';
import type { RouteModule } from './routers.js';
import { defineRoute } from '../route-spec.js';

function send(ctx: AppRouterContext, asset: DashboardAsset): void {
  ctx.set('Content-Security-Policy', DASHBOARD_CSP);
  ctx.type = asset.contentType;
  ctx.body = asset.body;
}

/**
 * `GET /dashboard` and its files (spec §9). Public like `/health`: the page holds no data; it
 * reads its token from the URL fragment (never sent to the server) and calls the API with it.
 */
export const dashboardRoutes: RouteModule = (routers) => {
  let assets: ReadonlyMap<string, DashboardAsset> | undefined;
  // Read on first use, so an app built without the page (tests of other routes) pays nothing.
  const assetsOf = (): ReadonlyMap<string, DashboardAsset> => (assets ??= loadDashboardAssets());

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/dashboard',
      tag: 'dashboard',
      auth: 'public',
      summary: 'The operator dashboard (open it with the URL `cco orchestration dashboard` prints: the token travels in the #fragment)',
      responses: { 200: { description: "The page, under a CSP with script-src 'self'", schema: z.string(), contentType: 'text/html' } },
    },
    (ctx) => {
      send(ctx, assetsOf().get('index.html')!);
    },
  );

  defineRoute(
    routers,
    {
      method: 'get',
      path: '/dashboard/:file',
      tag: 'dashboard',
      auth: 'public',
      summary: 'A static file of the dashboard (scripts and styles)',
      params: z.object({ file: z.string().max(64) }),
      responses: {
        200: { description: 'The file (JavaScript, CSS or SVG)', schema: z.string(), contentType: 'text/javascript' },
        404: { description: 'No such file' },
      },
    },
    (ctx, { params }) => {
      const asset = isAssetName(params.file) && params.file !== 'index.html' ? assetsOf().get(params.file) : undefined;
      if (!asset) throw new NotFoundError('No such dashboard file', { file: params.file.slice(0, 64) });
      send(ctx, asset);
    },
  );
};
