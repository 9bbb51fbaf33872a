/** Strings of the forms pages. Keys are the same in zh and en. */
export const forms = {
  zh: {} as Record<string, string>,
  en: {} as Record<string, string>,
};
