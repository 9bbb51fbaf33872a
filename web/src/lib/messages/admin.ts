/** Strings of the admin pages. Keys are the same in zh and en. */
export const admin = {
  zh: {} as Record<string, string>,
  en: {} as Record<string, string>,
};
