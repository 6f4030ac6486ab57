// What counts as text wherever Annals keeps a string: no lone UTF-16 surrogate and no NUL character. The stores
// would keep a lone surrogate in another spelling than was acknowledged (UTF-8 has none: a leaf's searches and
// `verify --deep` would disagree with it), and PostgreSQL keeps no NUL in text or JSON. Pure.

export const isText = (s: string): boolean => s.isWellFormed() && !s.includes('\u0000');

/** What a refusal of such a string says about it. */
export const NOT_TEXT = 'holds a lone UTF-16 surrogate or a NUL character, which are not text';
