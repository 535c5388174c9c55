// The studio's words, one JSON file per namespace (a feature) and language.
// en is the source; pt-BR must have exactly the same keys (locales.test.ts).
import about from "./en/about.json";
import account from "./en/account.json";
import common from "./en/common.json";
import compiler from "./en/compiler.json";
import consent from "./en/consent.json";
import dataset from "./en/dataset.json";
import studio from "./en/studio.json";
import training from "./en/training.json";
import aboutPt from "./pt-BR/about.json";
import accountPt from "./pt-BR/account.json";
import commonPt from "./pt-BR/common.json";
import compilerPt from "./pt-BR/compiler.json";
import consentPt from "./pt-BR/consent.json";
import datasetPt from "./pt-BR/dataset.json";
import studioPt from "./pt-BR/studio.json";
import trainingPt from "./pt-BR/training.json";

export const resources = {
  en: { about, account, common, compiler, consent, dataset, studio, training },
  "pt-BR": {
    about: aboutPt,
    account: accountPt,
    common: commonPt,
    compiler: compilerPt,
    consent: consentPt,
    dataset: datasetPt,
    studio: studioPt,
    training: trainingPt,
  },
} as const;

export const namespaces = Object.keys(resources.en) as (keyof typeof resources.en)[];
