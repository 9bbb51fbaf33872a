/** The device store's IndexedDB name (db.ts opens it; lazy.ts only checks that it exists, without loading idb). */
export const DB_NAME = 'risk-census-offline';
