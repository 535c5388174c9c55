import { Languages } from "lucide-react";
import { useTranslation } from "react-i18next";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { currentLanguage, languages, setLanguage, type Language } from "@/lib/i18n";

/** LanguageSwitch picks the studio's language; the pick is remembered. */
export function LanguageSwitch() {
  const { t } = useTranslation();
  return (
    <Select value={currentLanguage()} onValueChange={(v) => void setLanguage(v as Language)}>
      <SelectTrigger className="h-9 w-auto gap-2 border-none" aria-label={t("language")} data-testid="language-switch">
        <Languages className="h-4 w-4" aria-hidden />
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        {languages.map((l) => (
          <SelectItem key={l} value={l} lang={l}>
            {t(`languageNames.${l}`)}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}
