/** Forms at run time: XLSForm preview, publish, versions, diff, XLSForm download, retire (app/manage-forms.ts). */
import { diffFormVersions, formXlsform, listFormVersions, previewXlsform as preview, publishForm, retireForm, XLSX_TYPE } from '#app/manage-forms';
import { endpoint } from '../wrap';

export const previewXlsform = endpoint('forms', 'previewXlsform', async ({ ports, principal, body, query }) => ({ status: 200, body: await preview(ports, principal, body, query) }));

export const publish = endpoint('forms', 'publish', async ({ ports, principal, body }) => ({ status: 201, body: await publishForm(ports, principal, body) }));

export const downloadXlsform = endpoint('forms', 'downloadXlsform', async ({ ports, params, query }) => {
  const f = await formXlsform(ports, params.formId!, query);
  return { status: 200, bytes: f.bytes, headers: { 'content-type': XLSX_TYPE, 'content-disposition': `attachment; filename="${f.filename}"` } };
});

export const versions = endpoint('forms', 'versions', async ({ ports, params }) => ({ status: 200, body: await listFormVersions(ports, params.formId!) }));

export const diff = endpoint('forms', 'diff', async ({ ports, params, query }) => ({ status: 200, body: await diffFormVersions(ports, params.formId!, query) }));

export const retire = endpoint('forms', 'retire', async ({ ports, principal, params, body }) => ({ status: 200, body: await retireForm(ports, principal, params.formId!, body) }));
