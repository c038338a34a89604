// The part of unicode-confusables that Binome uses (the package ships no declarations its package.json names).
declare module 'unicode-confusables' {
  /** Each character replaced by its prototype in Unicode's confusables.txt (UTS #39): "Віnоmе" → "Binorne". */
  export function rectifyConfusion(text: string): string;
}
