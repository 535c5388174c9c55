import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Api, ConsentStatus, ConsentText } from "@/lib/api";
import { useFormat } from "@/lib/i18n/format";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";

/**
 * ConsentCard shows the consent text in force (as the binding returns it,
 * in its own language), with the server's processors and retention period
 * when signed in, and records consent through Go. Nothing is accepted until
 * the user has ticked the attestation. notice says why consent is asked
 * again, if it is.
 */
export function ConsentCard({ api, onGiven, notice }: { api: Api; onGiven: () => void; notice?: string }) {
  const { t, i18n } = useTranslation("consent");
  // The text is asked for in the studio's language: each language's text is
  // its own version, and consent is recorded to the one the user read.
  const lang = i18n.resolvedLanguage ?? i18n.language;
  const [text, setText] = useState<ConsentText | null>(null);
  const [attest, setAttest] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const checkId = useId();
  const whyId = useId();

  useEffect(() => {
    // A tick given under another language's text does not carry over.
    setAttest(false);
    api.consentText(lang).then(setText, (e: Error) => setError(e.message));
  }, [api, lang]);

  async function give() {
    setBusy(true);
    setError(undefined);
    try {
      if (!text) return;
      await api.giveConsent(text.version, attest);
      onGiven();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card data-testid="consent-card">
      <CardHeader>
        <CardTitle>{t("title")}</CardTitle>
        <CardDescription>{t("description")}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {notice && (
          <p role="status" data-testid="consent-notice" className="rounded-md border border-destructive p-3 text-sm">
            {notice}
          </p>
        )}
        <div className="max-h-72 space-y-2 overflow-y-auto rounded-md border p-4 text-sm" tabIndex={0} aria-label={t("textLabel")}>
          {text?.text
            .split(/\n\n+/)
            .filter((p) => !p.startsWith("# "))
            .map((p, i) => <p key={i}>{p.replace(/\*\*/g, "")}</p>)}
          {text?.processors && text.processors.length > 0 && (
            <p data-testid="consent-processors">{t("processors", { list: text.processors.join("; ") })}</p>
          )}
          {text?.retention_days ? (
            <p data-testid="consent-retention">{t("retention", { count: text.retention_days })}</p>
          ) : null}
          {text && <p className="text-xs text-muted-foreground">{t("version", { version: text.version })}</p>}
        </div>
        {/* The statement is the one the text in force carries, in its
            language (internal/consent): nothing to tick before it is read. */}
        {text && (
          <div className="flex items-start gap-2">
            <Checkbox id={checkId} className="mt-0.5" checked={attest} onCheckedChange={(c) => setAttest(c === true)} />
            <Label htmlFor={checkId} className="font-normal leading-snug">
              {text.attestation}
            </Label>
          </div>
        )}
        {error && (
          <p role="alert" className="text-sm text-destructive">
            {error}
          </p>
        )}
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={give} disabled={!attest || busy || !text} aria-describedby={!attest ? whyId : undefined}>
            {t("give")}
          </Button>
          {!attest && (
            <p id={whyId} className="text-xs text-muted-foreground">
              {t("tickFirst")}
            </p>
          )}
        </div>
      </CardContent>
    </Card>
  );
}

/**
 * ConsentGiven says which consent is in force and whether the server has
 * it, sends a queued one on request, and offers to withdraw.
 */
export function ConsentGiven({
  api,
  consent,
  signedIn,
  onChange,
  onNotice,
  onWithdrawn,
}: {
  api: Api;
  consent: ConsentStatus;
  signedIn: boolean;
  onChange: () => void;
  onNotice: (message: string) => void;
  onWithdrawn: (message: string) => void;
}) {
  const { t } = useTranslation("consent");
  const fmt = useFormat();
  const server = !signedIn
    ? ""
    : consent.synced
      ? t("status.synced")
      : consent.server_error
        ? t("status.refused", { error: consent.server_error })
        : consent.queued
          ? t("status.queued")
          : "";
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("given.title")}</CardTitle>
        <CardDescription>{t("given.description")}</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-wrap items-center gap-3 text-sm">
        <p data-testid="consent-status">
          {consent.version ? t("status.givenVersion", { version: consent.version }) : t("status.given")}
          {consent.given_at && ` ${t("status.when", { when: fmt.dateTime(consent.given_at) })}`}
          {server && ` ${server}`}
        </p>
        {signedIn && consent.queued && !consent.synced && (
          <Button
            size="sm"
            variant="ghost"
            onClick={() => api.sendQueued().then(onChange, (e: Error) => onNotice(t("notSent", { error: e.message })))}
          >
            {t("sendNow")}
          </Button>
        )}
        <WithdrawConsent
          api={api}
          onWithdrawn={(photos, server, loras) => {
            const counts = { photos: t("withdrawn.photoCount", { count: photos }), loras: t("withdrawn.loraCount", { count: loras ?? 0 }) };
            const parts = [loras ? t("withdrawn.photosAndLoras", counts) : t("withdrawn.photos", counts)];
            if (server === "erased") parts.push(t("withdrawn.serverErased"));
            else if (server === "queued") parts.push(t("withdrawn.serverQueued"));
            onWithdrawn(parts.join(" "));
          }}
        />
      </CardContent>
    </Card>
  );
}

/**
 * WithdrawConsent erases the photos after saying exactly what goes, in a
 * modal that keeps the focus while it asks and gives it back after.
 */
export function WithdrawConsent({
  api,
  onWithdrawn,
}: {
  api: Api;
  onWithdrawn: (photos: number, server?: string, loras?: number) => void;
}) {
  const { t } = useTranslation("consent");
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <AlertDialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        setError(undefined);
      }}
    >
      <AlertDialogTrigger asChild>
        <Button variant="outline" size="sm">
          {t("withdraw.open")}
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogTitle>{t("withdraw.title")}</AlertDialogTitle>
        <AlertDialogDescription>{t("withdraw.what")}</AlertDialogDescription>
        {error && (
          <p role="alert" className="text-sm text-destructive">
            {error}
          </p>
        )}
        <AlertDialogFooter>
          <AlertDialogCancel>{t("withdraw.keep")}</AlertDialogCancel>
          <AlertDialogAction
            destructive
            disabled={busy}
            onClick={(e) => {
              // Close only once Go has erased; a failure is shown here.
              e.preventDefault();
              setBusy(true);
              api.withdrawConsent().then(
                (r) => {
                  setBusy(false);
                  setOpen(false);
                  onWithdrawn(r.photos, r.server, r.loras);
                },
                (err: Error) => {
                  setBusy(false);
                  setError(err.message);
                },
              );
            }}
          >
            {t("withdraw.confirm")}
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
