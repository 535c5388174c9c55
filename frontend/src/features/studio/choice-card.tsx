import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { BaseModelList } from "@/lib/api";
import { useFormat } from "@/lib/i18n/format";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";

/** ChoiceCard is one of the studio's two dropdowns, with what it is for. */
export function ChoiceCard(props: {
  id: string;
  label: string;
  description: string;
  value: string;
  options: { id: string; name: string }[];
  disabled: boolean;
  onChange: (id: string) => void;
  children?: ReactNode;
}) {
  const descId = `${props.id}-description`;
  return (
    <Card>
      <CardHeader>
        <CardTitle>
          <Label htmlFor={props.id}>{props.label}</Label>
        </CardTitle>
        <CardDescription id={descId}>{props.description}</CardDescription>
      </CardHeader>
      <CardContent>
        <Select value={props.value} onValueChange={props.onChange} disabled={props.disabled}>
          <SelectTrigger id={props.id} data-testid={props.id} aria-label={props.label} aria-describedby={descId}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {props.options.map((o) => (
              <SelectItem key={o.id} value={o.id}>
                {o.name}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
        {props.children}
      </CardContent>
    </Card>
  );
}

/** ModelsSource says who decided the list of trainable base models. */
export function ModelsSource({ list, selected }: { list: BaseModelList; selected: string }) {
  const { t } = useTranslation("studio");
  const fmt = useFormat();
  const when = list.checked_at ? fmt.dateTime(list.checked_at) : "";
  const model = list.models.find((m) => m.id === selected);
  return (
    <div className="mt-2 space-y-1 text-xs text-muted-foreground" data-testid="base-model-source" data-source={list.source}>
      <p>
        {list.source === "server"
          ? t("baseModel.fromServer")
          : list.source === "saved"
            ? t("baseModel.saved", { when })
            : t("baseModel.local")}
        {/* Go's note, as Go wrote it. */}
        {list.note && ` ${list.note[0].toUpperCase()}${list.note.slice(1)}.`}
      </p>
      {model?.license && (
        <p data-testid="base-model-facts" className={model.license.commercial_use === false ? "text-destructive" : undefined}>
          {model.vram_class && `${t("baseModel.vram", { vram: model.vram_class.toUpperCase().replace("GB", " GB") })} `}
          {/* The licence note, from the model's data, as Go wrote it. */}
          {model.license.note}
        </p>
      )}
      {!model && (
        <p role="alert" className="text-destructive">
          {t("baseModel.notOffered", { model: selected })}
        </p>
      )}
    </div>
  );
}
