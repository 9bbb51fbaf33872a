import { getForm as readForm, listForms as readForms, listRegions as readRegions } from '#app/read-reference';
import { endpoint } from '../wrap';

export const listRegions = endpoint('reference', 'listRegions', async ({ ports }) => ({ status: 200, body: await readRegions(ports) }));

export const listForms = endpoint('reference', 'listForms', async ({ ports, query }) => ({ status: 200, body: await readForms(ports, query) }));

export const getForm = endpoint('reference', 'getForm', async ({ ports, params }) => ({ status: 200, body: await readForm(ports, params.formId!) }));

export const getFormVersion = endpoint('reference', 'getFormVersion', async ({ ports, params }) => ({
  status: 200,
  body: await readForm(ports, params.formId!, params.version!),
}));
