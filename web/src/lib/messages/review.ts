/** Strings of the review pages. Keys are the same in zh and en. */
export const review = {
  zh: {} as Record<string, string>,
  en: {} as Record<string, string>,
};
