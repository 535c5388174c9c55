/** Names up to this many characters show whole (wrapped); longer ones lose their middle. */
export const maxShownName = 48;

/**
 * shortName keeps a long file name readable in a small card: its start and
 * its end, extension included, around an ellipsis ("IMG_2024…_0042.jpg").
 * A name of at most max characters comes back as it is.
 */
export function shortName(name: string, max = maxShownName): string {
  const chars = [...name];
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 8 ? [...name.slice(dot)].length : 0;
  const tail = Math.min(ext + 8, Math.floor(max / 2));
  const head = max - tail - 1;
  return `${chars.slice(0, head).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

/**
 * PhotoName shows a photo's file name whole, wrapped anywhere it must (or,
 * past maxShownName characters, shortened in the middle with its extension
 * kept); screen readers always read the whole name, and hovering shows
 * where the original is.
 */
export function PhotoName({ name, path }: { name: string; path?: string }) {
  const shown = shortName(name);
  return (
    <span className="break-words font-medium [overflow-wrap:anywhere]" title={path ?? name} data-testid="photo-name">
      {shown === name ? (
        name
      ) : (
        <>
          <span aria-hidden>{shown}</span>
          <span className="sr-only">{name}</span>
        </>
      )}
    </span>
  );
}
