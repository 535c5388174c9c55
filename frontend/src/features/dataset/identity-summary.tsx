import type { CSSProperties } from "react";
import { Trash2 } from "lucide-react";
import { useTranslation } from "react-i18next";
import type { Box, DatasetItem, IdentitySet, Report } from "@/lib/api";
import { Button } from "@/components/ui/button";

/** Room around the face in its crop, as a fraction of the face's side, so hair and chin show. */
const facePadding = 0.25;

const pct = (v: number) => `${Number((v * 100).toFixed(2))}%`;

/**
 * faceCropStyle places a photo inside a square, overflow-hidden frame so the
 * frame shows the face in box (with some room around it). box is in the
 * photo's oriented pixels (width x height); the image shown may be any
 * scaled copy of that photo, such as its thumbnail, since the style is in
 * fractions of the frame. The square is kept inside the photo, so the frame
 * never shows past its edges. Returns null for a box or photo without area.
 */
export function faceCropStyle(box: Box, width: number, height: number, pad = facePadding): CSSProperties | null {
  if (!(width > 0 && height > 0 && box.w > 0 && box.h > 0)) return null;
  const side = Math.min(Math.max(box.w, box.h) * (1 + 2 * pad), width, height);
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const left = clamp(box.x + box.w / 2 - side / 2, width - side);
  const top = clamp(box.y + box.h / 2 - side / 2, height - side);
  // Percentages of left and width are of the frame's width, of top and
  // height of its height: the frame is square, so one scale serves both.
  return {
    position: "absolute",
    maxWidth: "none",
    width: pct(width / side),
    height: pct(height / side),
    left: pct(-left / side),
    top: pct(-top / side),
  };
}

/**
 * IdentitySummary shows who the photos show: the face the LoRA will learn,
 * cut from the photo where it is most typical, how many photos match it, and
 * the photos of anyone else, with a way to remove them. Nothing shows when
 * no face could be compared (or for a report from before faces were compared).
 */
export function IdentitySummary({
  report,
  photos,
  onRemove,
  busy,
}: {
  report: Report;
  photos: DatasetItem[];
  onRemove?: (ids: string[]) => void;
  busy?: boolean;
}) {
  const { t } = useTranslation("dataset");
  const id: IdentitySet | undefined = report.identity;
  if (!id || id.compared < 1 || !id.reference) return null;
  const others = id.others ?? [];
  const photoNamed = (name: string) => photos.find((p) => p.name === name);
  const otherIds = photos.filter((p) => others.includes(p.name)).map((p) => p.id);
  const counts = { members: id.members, count: id.compared };
  const caption = !id.clear
    ? t("identity.unclearCaption", counts)
    : id.compared < 2
      ? t("identity.caption")
      : t("identity.captionMatch", counts);
  const alt = id.clear ? t("identity.referenceAlt", { name: id.reference }) : t("identity.mostSeenAlt", { name: id.reference });

  return (
    <section aria-labelledby="identity-title" className="space-y-3 rounded-md border p-3" data-testid="identity">
      <h3 id="identity-title" className="font-medium">
        {t("identity.title")}
      </h3>
      <div className="flex items-center gap-3">
        <FaceCrop
          src={photoNamed(id.reference)?.thumb_url}
          box={id.reference_box}
          item={report.items.find((i) => i.file === id.reference)}
          alt={alt}
        />
        <div className="space-y-1">
          <p data-testid="identity-caption">{caption}</p>
          {id.compared < report.items.length && (
            <p className="text-xs text-muted-foreground">{t("identity.onlyOneFace")}</p>
          )}
        </div>
      </div>

      {!id.clear && (
        <p className="text-destructive" data-testid="identity-unclear">
          {t("identity.unclear")}
        </p>
      )}

      {id.clear && others.length > 0 && (
        <div className="space-y-2">
          <p className="font-medium text-destructive">{t("identity.othersHeading", { count: others.length })}</p>
          <ul aria-label={t("identity.othersList")} className="flex flex-wrap gap-3">
            {others.map((name) => (
              <li key={name} className="flex w-24 flex-col items-center gap-1 text-xs" data-testid={`other-${name}`}>
                {photoNamed(name) ? (
                  <img src={photoNamed(name)?.thumb_url} alt="" className="h-16 w-16 rounded border border-destructive object-cover" loading="lazy" />
                ) : (
                  <span className="h-16 w-16 rounded border border-dashed" aria-hidden />
                )}
                {/* The whole name, wrapped: it is how the user finds the photo. */}
                <span className="w-full break-all text-center">{name}</span>
              </li>
            ))}
          </ul>
          <p className="text-muted-foreground">{t("identity.othersAdvice", { count: others.length })}</p>
          {onRemove && otherIds.length > 0 && (
            <Button variant="outline" size="sm" disabled={busy} onClick={() => onRemove(otherIds)}>
              <Trash2 className="h-3.5 w-3.5" aria-hidden />
              {t("identity.removeOthers", { count: otherIds.length })}
            </Button>
          )}
        </div>
      )}
    </section>
  );
}

/** FaceCrop shows the face of box from a scaled copy of the photo item describes. */
function FaceCrop({ src, box, item, alt }: { src?: string; box?: Box | null; item?: { width: number; height: number }; alt: string }) {
  const style = box && item ? faceCropStyle(box, item.width, item.height) : null;
  const frame = "relative h-24 w-24 shrink-0 overflow-hidden rounded-md border bg-muted";
  if (!src) return <div className={frame} aria-hidden />;
  return (
    <div className={frame}>
      <img src={src} alt={alt} style={style ?? undefined} className={style ? undefined : "h-full w-full object-cover"} data-testid="reference-face" />
    </div>
  );
}
