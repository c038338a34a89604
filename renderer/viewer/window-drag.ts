// Window/level as the reader sees it. Cornerstone's tool raises the window's centre as the mouse goes
// down, which darkens an image shown as stored (MONOCHROME2) and brightens one shown inverted
// (MONOCHROME1, shown with air dark, or any image after Invert): the same drag went opposite ways on
// two images of one exam. Here the drag's vertical sign follows the polarity shown, so that dragging
// down always darkens what is on screen; the width (sideways) is the same either way. The pixel data
// is never touched: only the window moves.

export interface VoiRange { lower: number; upper: number }

/** The vertical drag as Cornerstone's tool should take it: reversed on an image shown inverted. */
export function displayedDelta(delta: readonly [number, number], inverted: boolean): [number, number] {
  return [delta[0], inverted ? -delta[1] : delta[1]];
}

/**
 * The window a synchronised viewport takes when another one's window moved: the same change, in
 * proportion to each one's starting window. When one is shown inverted and the other not, the
 * centre's move is mirrored, so that both get darker (or brighter) together on screen.
 */
export function followedWindow(
  from: { base: VoiRange; range: VoiRange; inverted: boolean },
  to: { base: VoiRange; inverted: boolean },
): VoiRange {
  const scale = (to.base.upper - to.base.lower) / (from.base.upper - from.base.lower);
  if (from.inverted === to.inverted) {
    return { lower: to.base.lower + (from.range.lower - from.base.lower) * scale, upper: to.base.lower + (from.range.upper - from.base.lower) * scale };
  }
  // the centre's offset from the starting centre reversed, the width kept
  const fromCentre = (from.base.lower + from.base.upper) / 2;
  const toCentre = (to.base.lower + to.base.upper) / 2;
  return { lower: toCentre + (fromCentre - from.range.upper) * scale, upper: toCentre + (fromCentre - from.range.lower) * scale };
}
