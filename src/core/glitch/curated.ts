import type { EncodingName } from '../tokenizer/encodings';

/** How much a report tells us: a model observed misbehaving (strong), or weaker evidence. */
export type EvidenceStrength = 'strong' | 'medium' | 'weak';

export interface CuratedSource {
  /** Paper or report, as it can be looked up. */
  readonly reference: string;
  /** What was observed, in one sentence. */
  readonly observed: string;
  /** Glitchy for a tokenizer (any model using it) or for a specific model. */
  readonly scope: 'tokenizer' | 'model';
  readonly model?: string;
  readonly strength: EvidenceStrength;
}

export interface CuratedGlitchToken {
  readonly encoding: EncodingName;
  /** The token's text; it must encode to exactly [id] (checked by the tests and at load). */
  readonly text: string;
  readonly id: number;
  readonly source: CuratedSource;
}

const SOLIDGOLD: CuratedSource = {
  reference: 'J. Rumbelow & M. Watkins, "SolidGoldMagikarp (plus, prompt generation)" and "SolidGoldMagikarp III: Glitch token archaeology", LessWrong, 2023',
  observed: 'GPT-3 (davinci-instruct-beta) could not repeat these tokens: it evaded, answered with other words, insults or hallucinations.',
  scope: 'model',
  model: 'GPT-3 (davinci family)',
  strength: 'strong',
};
const SMARTY: CuratedSource = {
  reference: '"SmartyHeaderCode: anomalous tokens for GPT3.5 and GPT-4", LessWrong, 2023',
  observed: 'GPT-3.5 and GPT-4 could not repeat or spell these tokens and substituted other words.',
  scope: 'model',
  model: 'GPT-3.5 / GPT-4',
  strength: 'strong',
};
const GPT4O_SPAM: CuratedSource = {
  reference: 'Zeyi Yang, "GPT-4o\'s Chinese token-training data is polluted by spam and porn websites", MIT Technology Review, May 2024',
  observed: 'Long Chinese tokens taken from gambling and spam sites; GPT-4o was reported to misread them and answer with unrelated or hallucinated text.',
  scope: 'model',
  model: 'GPT-4o family',
  strength: 'medium',
};
const GPT_OSS: CuratedSource = {
  reference: 'Weight-indicator analysis of gpt-oss (method of S. Land & M. Bartolo, "Fishing for Magikarp", EMNLP 2024), Tokenscope research notes, 2026',
  observed: 'Among the lowest-ranked tokens by the under-training indicator of gpt-oss\'s weights; not verified by prompting.',
  scope: 'model',
  model: 'gpt-oss',
  strength: 'medium',
};

const gpt3 = (text: string, id: number): CuratedGlitchToken[] => [
  { encoding: 'r50k_base', text, id, source: SOLIDGOLD },
  // p50k_base (Codex, text-davinci-002/003) extends r50k_base with the same ids for these tokens
  { encoding: 'p50k_base', text, id, source: SOLIDGOLD },
];

/**
 * Reported glitch tokens, each with its source and what was observed. Ids are the tokenizer's own
 * (the unit tests encode every text and require exactly this one id).
 */
export const CURATED_GLITCH_TOKENS: readonly CuratedGlitchToken[] = [
  ...gpt3(' SolidGoldMagikarp', 43453),
  ...gpt3(' petertodd', 37444),
  ...gpt3(' davidjl', 23282),
  ...gpt3(' TheNitromeFan', 42090),
  ...gpt3('StreamerBot', 37574),
  ...gpt3('TPPStreamerBot', 37579),
  ...gpt3(' RandomRedditorWithNo', 36174),
  ...gpt3(' RandomRedditor', 36173),
  ...gpt3('rawdownloadcloneembedreportprint', 30906),
  ...gpt3('embedreportprint', 30898),
  ...gpt3('cloneembedreportprint', 30899),
  ...gpt3('rawdownload', 30905),
  ...gpt3(' guiActiveUn', 29372),
  ...gpt3(' guiActiveUnfocused', 30210),
  ...gpt3(' externalToEVA', 30212),
  ...gpt3(' externalToEVAOnly', 30213),
  ...gpt3('PsyNetMessage', 28666),
  ...gpt3(' gmaxwell', 31886),
  ...gpt3(' Smartstocks', 32437),
  ...gpt3('?????-?????-', 31666),
  ...gpt3(' attRot', 35207),
  ...gpt3(' partName', 37842),
  ...gpt3(' Skydragon', 38250),
  ...gpt3(' Dragonbound', 17900),
  ...gpt3('ForgeModLoader', 24934),
  ...gpt3('SpaceEngineers', 31032),
  ...gpt3(' UCHIJ', 39253),
  ...gpt3('龍喚士', 33454),
  ...gpt3(' Mechdragon', 35579),
  ...gpt3('externalActionCode', 31576),
  ...gpt3('MpServer', 31765),
  ...gpt3('FactoryReloaded', 37631),
  ...gpt3('iHUD', 38370),
  ...gpt3('catentry', 39165),
  ...gpt3('ItemThumbnailImage', 39177),
  ...gpt3(' SetFontSize', 39446),
  ...gpt3('DeliveryDate', 39749),
  ...gpt3('quickShip', 39752),
  ...gpt3('quickShipAvailable', 39753),
  ...gpt3('isSpecialOrderable', 39755),
  ...gpt3('inventoryQuantity', 39756),
  ...gpt3('channelAvailability', 39757),
  ...gpt3('wcsstore', 12781),
  ...gpt3('ertodd', 36481),
  ...gpt3(' sqor', 36938),
  ...gpt3(' istg', 36940),
  { encoding: 'cl100k_base', text: ' davidjl', id: 99944, source: SMARTY },
  { encoding: 'cl100k_base', text: 'SmartyHeaderCode', id: 99168, source: SMARTY },
  { encoding: 'cl100k_base', text: ' ForCanBeConvertedToF', id: 80370, source: SMARTY },
  { encoding: 'cl100k_base', text: 'PostalCodesNL', id: 85069, source: SMARTY },
  { encoding: 'cl100k_base', text: 'useRalativeImagePath', id: 89473, source: SMARTY },
  ...(['o200k_base', 'o200k_harmony'] as const).flatMap((encoding) =>
    (
      [
        ['天天中彩票', 8089],
        [' 天天中彩票', 2783],
        ['大发快三', 15892],
        [' 大发快三', 6786],
        ['彩神争霸', 3847],
        [' 彩神争霸', 4230],
        ['北京赛车', 13492],
        [' 北京赛车', 4757],
        ['重庆时时彩', 7147],
        ['给主人留下些什么吧', 177431],
        [' 微信的天天中彩票', 148388],
        [' 大发时时彩', 12284],
        ['大发时时彩', 54007],
        [' 福利彩票天天', 70805],
        ['天天爱彩票', 39311],
        [' 天天中彩票公众号', 187980],
      ] as const
    ).map(([text, id]) => ({ encoding, text, id, source: GPT4O_SPAM })),
  ),
  { encoding: 'o200k_harmony', text: '_REALTYPE', id: 193278, source: GPT_OSS },
  { encoding: 'o200k_harmony', text: '/copyleft', id: 194425, source: GPT_OSS },
  { encoding: 'o200k_harmony', text: '.gstatic', id: 173853, source: GPT_OSS },
];

export function curatedFor(encoding: string): CuratedGlitchToken[] {
  return CURATED_GLITCH_TOKENS.filter((c) => c.encoding === encoding);
}
