/** Strings of the dashboard pages. Keys are the same in zh and en. */
export const dashboard = {
  zh: {} as Record<string, string>,
  en: {} as Record<string, string>,
};
