"""Requests about someone other than the asker: their data, orders, points or account.

A support bot must never look up, confirm or hint at another person's records, whoever asks and
however kindly ("customer Maria Gonzalez", "the person who bought the kayak", "what did my
sister order"). ``OTHER_PERSON`` matches such requests in English and, for the common phrasings,
in Spanish, German, French, Portuguese and Italian; the guard (``guard``) escalates every match.

It names the person asked about (a relative, "someone", a customer, a name) *and* what only our
records hold about them (an address, an order, a purchase, points); a question that merely
mentions someone ("ship it to my friend's address", "can my husband collect my pickup order")
asks about our policy and matches nothing. Names are recognised by their capitals, or, written
in lower case, only in the places a name takes in such a request ("the order for jen morales",
"what did sarah chen pay", "is dave ramirez a member"), since without capitals a name reads
like any two words.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE | re.MULTILINE
# Someone who is not the asker, and what about them only our records hold.
_KIN = (
    r"neighbou?r|friend|room-?mate|flatmate|housemate|co-?worker|colleague|boss|ex|sister|"
    r"brother|mom|mum|mother|dad|father|wife|husband|partner|son|daughter|girlfriend|boyfriend|"
    r"aunt|uncle|cousin|nephew|niece|kid|child|grand(?:ma|pa|mother|father)|landlord|tenant"
)
_PERSON = r"(?:customers?|persons?|people|buyers?|shoppers?|members?|guy|lady|woman|man|owner)"
_THEM = (
    rf"(?:someone|somebody|anyone|anybody|whoever|(?:an)?other {_PERSON}|"
    rf"(?:a|the|that|this|every|each|any) {_PERSON}|"
    rf"(?:my|our|his|her) (?:ex-?|step-?|best |older |younger |little |big )?(?:{_KIN}))"
)
_SUBJECT = rf"(?:he|she|{_THEM})"
_DATA = (
    r"(?:(?:home |shipping |e-?mail )?address(?:es)?|phone(?: number)?|number|e-?mail|contact|"
    r"details|info\w*|name|orders?|order history|account|purchases?|tracking|card|refund|"
    r"returns?|package|parcel|delivery|status|points|membership)"
)
_BOUGHT = r"(?:bought|ordered|purchased|returned|paid for|placed|paid|spent|got)"
_ENGLISH = (
    # Asking for someone else's records: "look up my neighbour's order", "send me the tracking
    # for my friend's order", "I need someone's phone number"; not "ship it to my friend's
    # address" nor "does my friend's order need to be over $100" (a policy question).
    rf"\b(?:look up|lookup|check(?: on)?|find|tell me|give me|send me|show me|get me|pull up|"
    rf"access|see|know|share|need|want|list|track|cancel|change|what(?:'s| is| was| are)|"
    rf"where(?:'s| is)|when(?:'s| is| will))\s+(?:\w+\s+){{0,3}}(?<!\bto ){_THEM}"
    rf"(?:'s|s'| else's)\s+(?:\w+\s+)?{_DATA}\b"
    # "did my boss's refund go through", "what do you have on file for my neighbour"
    rf"|\b(?:did|has|was)\s+{_THEM}(?:'s|s')\s+(?:\w+\s+)?{_DATA}\b"
    # "my neighbour ordered a tent, when is it arriving at her place", "whose order is 88213"
    # (their order's whereabouts; not "when does standard shipping usually arrive")
    rf"|\b{_THEM}\s+(?:has\s+|just\s+)?{_BOUGHT}\b[^.?!]{{0,40}}\b(?:when|where)(?:'s| is| will|"
    rf" does| did| would)?\s+(?:it|they|she|he|her \w+|his \w+|their \w+)\b[^.?!]{{0,15}}"
    rf"\b(?:arriv|deliver|ship|land|get there|come)\w*"
    rf"|\bwhose (?:order|package|parcel|account|receipt|purchase|tracking)\b"
    rf"|\b(?:do|did) you have\b[^.?!]{{0,20}}\bfor {_THEM}|\bon file for {_THEM}"
    # "who ordered the tent?", "tell me who bought it", "which customer returned"; not "the
    # refund goes to the person who bought it"
    rf"|(?:^|[.!?,;:]\s*|\b(?:know|tell me|find out|see|check|show me|wondering|ask|and|but)\s+)"
    rf"who (?:else )?{_BOUGHT}\b"
    rf"|\bwhich (?:customers?|persons?|people|buyers?|shoppers?)\b(?! (?:service|support|care)\b)"
    # "the address of customer X", "the email of whoever bought…"
    rf"|\b(?:names?|address(?:es)?|phone(?: numbers?)?|numbers?|e-?mails?|contact \w+|details|"
    rf"info\w*) (?:of|for|on) (?:the |a |an |any |another |other |that |this |every |all )?"
    rf"(?:{_PERSON}|someone|somebody|whoever)\b(?! (?:service|support|care)\b)"
    # "contact the person who bought the kayak"
    rf"|\b(?:contact|reach|call|text|email|message|find|identify|track down|look up|who (?:is|was)"
    rf"|in touch with|talk to|speak to|speak with)\s+(?:the|that|this|a|another)\s+"
    rf"(?:{_PERSON}|someone)\s+(?:who|that)\s+{_BOUGHT}"
    # Their purchases and points: "what did she order", "how much did my friend spend", "what
    # he paid", "check if my boss placed an order"; not "return what my mom bought me"
    rf"|\b(?:what|how much|how many|which)\b[^.?!]{{0,30}}\b(?:did|has|have)\s+{_SUBJECT}\b"
    rf"[^.?!]{{0,25}}\b(?:order|buy|purchase|spend|pay|return|get|cost)\b"
    rf"|\bhow many (?:\w+ )?points (?:does|do|has) {_SUBJECT}\b"
    rf"|\bwhat (?:else )?{_SUBJECT} (?:has |had )?{_BOUGHT}\b(?! (?:me|us|for (?:me|us))\b)"
    rf"|\b(?:check|see|know|tell me|find out|confirm|wondering)\s+(?:whether|if)\s+{_SUBJECT}"
    rf"\s+(?:has\s+|had\s+|already\s+)?(?:{_BOUGHT}|made|used)\b"
    rf"|(?<!\bto )\b(?:his|her) (?:account|order history|orders|address|phone number)\b"
    rf"|\b(?:account|order)s? (?:under|in the name of)\s+(?!(?:my|our|a|an|another|the)\b)\w"
    rf"|\b(?:anyone|anybody|someone|somebody|who)\b[^.?!]{{0,20}}\b(?:in|on) your "
    rf"(?:system|records|database|files)\b"
    # a person by name: "customer Maria Gonzalez", "the email for Tom Baker" (not "a gift
    # card for Mother's Day" nor "the jacket called Nano Puff")
    rf"|\b(?:(?:customer|member|buyer|shopper)(?: named| called)?|account (?:of|for|under)|"
    rf"(?:address|phone(?: number)?|e-?mail|details|contact \w+) (?:of|for))\s+"
    rf"(?!Two Peaks\b|(?:Service|Support|Care)\b)(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z'-]+)+)"
)
# Lower-case names in a name's place: two words that are not a determiner, a pronoun or a
# word of time ("an order for next day", "points for every dollar", "my account for good").
_NOT_A_NAME = (
    r"(?!(?:me|my|myself|us|we|our|ours|you|your|he|she|him|his|her|it|its|they|them|their|a|"
    r"an|the|this|that|these|those|"
    r"every|each|all|any|some|next|same|one|two|peaks|free|more|pickup|delivery|store|shop|"
    r"online|today|tomorrow|yesterday|christmas|summit|rewards|return|returns|someone|anyone|"
    r"customer|service|support|password|reset|security|saved|which|what|order|gift|card|team|"
    r"company|brand|good|now|sure|ever|life|real|later|long|years|months|weeks|days|\w+ing)\b)"
)
_LOWER_NAME = rf"{_NOT_A_NAME}[a-z]{{2,}}\s+{_NOT_A_NAME}[a-z]{{2,}}"
_NAMED = (
    # "the delivery address on the order for jen morales", "account under dave ramirez"
    rf"\b(?:order|orders|account|package|parcel|delivery|purchase|refund)\s+"
    rf"(?:for|of|under|in the name of)\s+{_LOWER_NAME}\b(?!\s+(?:order|delivery|shipping)\b)"
    # "what did sarah chen pay", "what did my brother's girlfriend buy"
    rf"|\bwhat did\s+(?!(?:i|we|you|u|it|they|that|this|the|my order)\b)\w+(?:'s)?(?:\s+\w+)?"
    rf"\s+(?:pay|order|buy|spend|purchase|return|get)\b"
    # "is dave ramirez a member", "is tom a customer of yours"
    rf"|\b(?:is|was|are)\s+{_NOT_A_NAME}[a-z]{{2,}}(?:\s+[a-z]{{2,}})?\s+(?:a|an|still a)\s+"
    rf"(?:member|customer|subscriber|client|rewards member)\b"
    # "john smiths email address", "jen morales's phone number": possessive, as a name is
    rf"|\b{_LOWER_NAME}(?:'s|s'|s)\s+(?:e-?mail(?: address)?|phone(?: number)?|home address|"
    rf"(?:delivery |shipping )?address|order history|account)\b"
    # "whats his name and address", "her phone number"; not "ship it to her address"
    rf"|(?<!\bto )\b(?:his|her|their)\s+(?:full |shipping |delivery |home |billing |e-?mail |"
    rf"tracking |card |order )?(?:name|address|phone|number|e-?mail|details|contact|status)\b"
    # "jennifer lopez's last order", "did Bob Smith place", "my sister Anna Kowalski ordered"
    rf"|\b{_LOWER_NAME}(?:'s|s')\s+(?:last |latest |recent |most recent |new )?(?:orders?|"
    rf"purchases?|package|parcel|tracking|refund|delivery)\b"
    rf"|\bon file (?:for|under)\s+{_LOWER_NAME}\b"
    rf"|\bdid\s+(?:{_LOWER_NAME}|(?!Two Peaks\b)(?-i:[A-Z][a-z]+\s+[A-Z][a-z'-]+))\s+"
    rf"(?:ever\s+|already\s+)?(?:place|order|buy|purchase|spend|pay|return)\b"
    rf"|(?!Two Peaks\b)(?-i:\b[A-Z][a-z]+\s+[A-Z][a-z'-]+)\s+(?:ordered|bought|purchased|"
    rf"placed an order|returned)\b"
    # "is my roommate a rewards member", "did my husband buy anything"; not "did my wife's order
    # ship" (theirs, asked about our policy) nor "did he buy the wrong size" (the asker's story)
    rf"|\b(?:is|was|are)\s+{_THEM}\s+(?:a|an|still a)\s+(?:\w+\s+)?(?:member|customer|"
    rf"subscriber|client)\b"
    rf"|\b(?:did|has|have)\s+{_THEM}(?:\s+(?:from|at|in)\s+(?:my|our|the)\s+\w+)?\s+"
    rf"(?:ever\s+|already\s+|recently\s+)?(?:buy|bought|"
    rf"order|ordered|purchase|purchased|spend|spent)\b"
    rf"|\bwhich of (?:our|your|the|my) (?:employees|staff|customers|members|team|people)\b"
    rf"[^.?!]{{0,30}}\b{_BOUGHT}"
    # staff's and anyone's private contacts: "the CEO's home phone number"
    rf"|\b(?:ceo|founder|owner|president)(?:'s|s')\s+(?:\w+\s+)?(?:phone|address|e-?mail|"
    rf"number|cell)\b|\b(?:home|personal|private|cell|mobile) (?:phone|address|number|e-?mail)"
    rf"(?: number)? (?:of|for)\b"
    # "what card does he have on file"
    rf"|\b(?:does|do|did) (?:he|she|they) have on file\b|\bon file for (?:him|her|them)\b"
    # "what's in her order", "what was in my brother's package"
    rf"|\bwhat(?:'s| is| was) in (?:his|her|their|my \w+'s) (?:order|package|box|parcel)\b"
    # a person named by title: "whether a mr. harrison placed an order", "Mrs Lee's address"
    rf"|\b(?:mr|mrs|ms|mx|miss|dr)\.?\s+[a-z]{{2,}}\b(?:'s)?[^.?!]{{0,30}}\b(?:placed|ordered|"
    rf"bought|purchased|returned|account|order|address|e-?mail|phone)\b"
    # "a list of customers who…", "which of your customers live in denver"
    rf"|\b(?:list|names|emails|addresses|details|contacts|everyone)\b[^.?!]{{0,20}}\b"
    rf"(?:customers|buyers|members|shoppers|people)\s+(?:who|that|in|from|living)\b"
    rf"|\b(?:which|what|how many) of your (?:customers|members|shoppers|buyers)\b"
)
# Spanish, German, French, Portuguese and Italian: a relative or a customer, and their data.
_KIN_ELSEWHERE = (
    r"vecin[oa]|herman[oa]|amig[oa]|espos[oa]|novi[oa]|mujer|marido|madre|padre|hij[oa]|"
    r"Nachbar(?:in)?|Bruder|Schwester|Freund(?:in)?|Frau|Mann|Mutter|Vater|Sohn|Tochter|"
    r"voisin(?:e)?|s(?:œ|oe)ur|fr(?:è|e)re|ami(?:e)?|femme|mari|m(?:è|e)re|p(?:è|e)re|fils|fille|"
    r"vizinh[oa]|irm(?:ã|a)o?|esposa|sorella|fratello|vicin[oa]|moglie"
)
_BOUGHT_ELSEWHERE = (
    r"(?:pidi(?:ó|o)|compr(?:ó|o)|hizo un pedido|bestellt|gekauft|command(?:é|e)|achet(?:é|e)|"
    r"fait une commande|comprou|pediu|fez um pedido|"
    r"comprato|ordinato)"
)
_THEIR_KIN = (
    rf"(?:mi|mis|su|mein(?:e[snm]?)?|ma|mon|mes|sa|meu|minha|mio|mia)\s+(?:{_KIN_ELSEWHERE})"
)
_ELSEWHERE = (
    # "¿qué compró mi hermana?", "was hat mein Nachbar bestellt", "ce que mon frère a commandé"
    rf"\b(?:qu(?:é|e)|was|ce qu['e]|o que|cosa)\b[^.?!]{{0,40}}\b(?:{_THEIR_KIN}\b[^.?!]{{0,30}}"
    rf"\b{_BOUGHT_ELSEWHERE}|{_BOUGHT_ELSEWHERE}\b[^.?!]{{0,30}}\b{_THEIR_KIN})\b"
    # "el correo de la clienta Ana López", "die Adresse von meiner Schwester", "l'adresse de
    # livraison de ma sœur"; not "send it to my sister's address" ("a la dirección de mi…")
    # "Mi esposa hizo un pedido ayer, ¿a qué dirección se envió?"
    rf"|\b{_THEIR_KIN}\b[^.?!]{{0,40}}\b{_BOUGHT_ELSEWHERE}\b.{{0,60}}\b(?:direcci(?:ó|o)n|"
    rf"Adresse|adresse|endere(?:ç|c)o|indirizzo|seguimiento|Sendungsnummer|suivi|rastreio|"
    # "mi hermano compró una mochila, ¿cuándo llega?"
    rf"cu(?:á|a)ndo|d(?:ó|o)nde|wann|quand|o(?:ù|u)|quando|onde|dove)"
    rf"|(?<!\ba la )(?<!\ban die )(?<!\bà l')(?<!\bpara o )\b(?:correo|direcci(?:ó|o)n|"
    rf"tel(?:é|e)fono|t(?:é|e)l(?:é|e)phone|num(?:é|e)ro|pedido|compras?|Adresse|E-Mail|Telefonnummer|Bestellung(?:en)?|adresse|"
    rf"courriel|e-mail|commande|endere(?:ç|c)o|indirizzo)(?:\s+\S+){{0,2}}?\s+"
    rf"(?:de|del|de la|des|du|von|vom|der|dos?|das?|di|della|dello)\s+"
    rf"(?:(?:la |el |le |il |o |a )?client[ea]s?|Kund(?:e|in|en)|"
    rf"(?:mi|ma|mon|mein\w*|minha|meu|mia|mio)\s+(?:{_KIN_ELSEWHERE})|"
    rf"(?-i:[A-Z][a-zà-ÿ]+\s+[A-Z][a-zà-ÿ]+))"
)
OTHER_PERSON = re.compile(rf"{_ENGLISH}|{_NAMED}|{_ELSEWHERE}", _I)
