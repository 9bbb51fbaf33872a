/** XLSForm in and out (pure: shared by the API and the browser). See import-xlsform.ts and export-xlsform.ts. */
export { importXlsform, type XlsformImport } from './import-xlsform';
export { exportXlsform } from './export-xlsform';
export { XLSFORM_LIMITS, type Cell, type Sheet, type XlsformDefaults, type XlsformIssue } from './sheets';
