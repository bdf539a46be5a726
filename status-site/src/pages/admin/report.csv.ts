/** The monthly reliability report as a download (the same CSV as `GET /v1/reliability/report.csv`). */
import type { APIRoute } from 'astro';

export const GET: APIRoute = async ({ locals, url }) => {
  const { site, admin } = locals;
  const result = await site.admin.reliabilityReport(
    admin!.workspaceId,
    url.searchParams.get('month'),
    site.now(),
  );
  if (!result.ok)
    return new Response(result.error, {
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  return new Response(result.value.csv, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': `attachment; filename="lifeline-reliability-${result.value.month}.csv"`,
    },
  });
};
