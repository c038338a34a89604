// onnxruntime's own words for why it would not load or run a model, as the station keeps them (with
// the model's failure, shown to IT in the AI models panel and `binome models`): without its C++ source
// paths and signatures, and with the station's own paths cut to their file names (a probe's message
// named the station's working directory: "…escapes working directory… "/tmp/…/weights.bin""), cut
// at a word.

/** `message` as the station keeps a runtime's reason: at most about `max` characters, cut at a word with an ellipsis. */
export function runtimeWords(message: string, max: number): string {
  const said = message
    // its source file and line (a path, or the file's name alone), and the C++ function the runtime writes
    // after them: a signature ("void onnxruntime::Gemm::Compute(int) const") or a bare name
    // ("tensorprotoutils.cc:434 ValidateExternalDataPathFromDir", a vendor's probe)
    .replace(/(?<=^|[\s:("'])[^\s:("']*\.(?:cc|cpp|cxx|h|hpp|cu):\d+\s+(?:(?:[\w<>*&]+\s+)*?[\w:<>~]*::[\w<>~]+\([^)]*\)(?:\s*const)?\s*|[\w:<>~]+\s+)?/g, '')
    // an absolute path (POSIX, or a Windows drive's) cut to its last part: a quoted one whole (spaces and all),
    // else up to a space, wherever it starts a word
    .replace(/"(?:[A-Za-z]:)?[\\/][^"]*?([^"\\/]+)"/g, '"$1"')
    .replace(/(^|[\s'(=[])(?:[A-Za-z]:)?[\\/](?:[^\s"'()\\/]+[\\/])*([^\s"'()\\/]+)/g, '$1$2')
    .replace(/\s+/g, ' ').trim();
  if (said.length <= max) return said;
  const end = said.lastIndexOf(' ', max);
  return `${end > max / 2 ? said.slice(0, end) : said.slice(0, max)}…`;
}
