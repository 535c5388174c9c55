import { useEffect, useId, useState } from "react";
import type { Api, ConsentText } from "@/lib/api";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

/**
 * ConsentCard shows the consent text in force, with the server's processors
 * and retention period when signed in, and records consent through Go.
 * Nothing is accepted until the user has ticked the attestation. notice says
 * why consent is asked again, if it is.
 */
export function ConsentCard({ api, onGiven, notice }: { api: Api; onGiven: () => void; notice?: string }) {
  const [text, setText] = useState<ConsentText | null>(null);
  const [attest, setAttest] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const checkId = useId();

  useEffect(() => {
    api.consentText("en").then(setText, (e: Error) => setError(e.message));
  }, [api]);

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
        <CardTitle>Before your first photo</CardTitle>
        <CardDescription>Photos of your face are biometric data. Read what happens to them.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {notice && (
          <p role="status" data-testid="consent-notice" className="rounded-md border border-destructive p-3 text-sm">
            {notice}
          </p>
        )}
        <div className="max-h-72 space-y-2 overflow-y-auto rounded-md border p-4 text-sm" tabIndex={0} aria-label="Consent text">
          {text?.text
            .split(/\n\n+/)
            .filter((p) => !p.startsWith("# "))
            .map((p, i) => <p key={i}>{p.replace(/\*\*/g, "")}</p>)}
          {text?.processors && text.processors.length > 0 && (
            <p data-testid="consent-processors">Processed by: {text.processors.join("; ")}.</p>
          )}
          {text?.retention_days ? (
            <p data-testid="consent-retention">
              Retention period: {text.retention_days} days from today. Then your photos and trained versions are
              deleted from the server.
            </p>
          ) : null}
          {text && <p className="text-xs text-muted-foreground">Version {text.version}</p>}
        </div>
        <label htmlFor={checkId} className="flex items-start gap-2 text-sm">
          <input
            id={checkId}
            type="checkbox"
            className="mt-0.5 h-4 w-4"
            checked={attest}
            onChange={(e) => setAttest(e.target.checked)}
          />
          Every photo I add shows me, and I am an adult.
        </label>
        {error && (
          <p role="alert" className="text-sm text-destructive">
            {error}
          </p>
        )}
        <Button onClick={give} disabled={!attest || busy || !text}>
          I consent
        </Button>
      </CardContent>
    </Card>
  );
}

/** WithdrawConsent erases the photos after saying exactly what goes. */
export function WithdrawConsent({
  api,
  onWithdrawn,
}: {
  api: Api;
  onWithdrawn: (photos: number, server?: string, loras?: number) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  if (!confirming) {
    return (
      <Button variant="outline" size="sm" onClick={() => setConfirming(true)}>
        Withdraw consent…
      </Button>
    );
  }
  return (
    <div role="alertdialog" aria-label="Withdraw consent" className="space-y-2 rounded-md border border-destructive p-3 text-sm">
      <p>
        Withdrawing erases every photo you added and its thumbnail from this computer (your own originals stay where
        they are), every trained LoRA downloaded here and the copies LoRA Studio installed into your generators'
        folders, and, if you are signed in, the photos you uploaded and every trained file on the server. You can
        consent again later.
      </p>
      {error && <p className="text-destructive">{error}</p>}
      <div className="flex gap-2">
        <Button
          variant="destructive"
          size="sm"
          onClick={() =>
            api.withdrawConsent().then(
              (r) => onWithdrawn(r.photos, r.server, r.loras),
              (e: Error) => setError(e.message),
            )
          }
        >
          Withdraw and erase
        </Button>
        <Button variant="ghost" size="sm" onClick={() => setConfirming(false)}>
          Keep my consent
        </Button>
      </div>
    </div>
  );
}
