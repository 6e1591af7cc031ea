"""Requests about someone other than the asker: their data, orders, points or account.

A support bot must never look up, confirm or hint at another person's records, whoever asks and
however kindly ("customer Maria Gonzalez", "the person who bought the kayak", "what did my
sister order"). ``OTHER_PERSON`` matches such requests in English and, for the common phrasings,
in Spanish, German, French, Portuguese, Italian, Japanese, Chinese and Korean; the guard
(``guard``) escalates every match.

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
# A purchase through the asker's own referral link ("Meine Schwester hat über meinen
# Empfehlungslink bestellt. Was bekomme ich … wann?") asks about the asker's reward.
_REFERRAL_ELSEWHERE = (
    r"(?:Empfehlung|referid|recomendaci|parrain|indica(?:ç|c)|invit|referral|link|enlace|lien)"
)
_ELSEWHERE = (
    # "¿qué compró mi hermana?", "was hat mein Nachbar bestellt", "ce que mon frère a commandé"
    rf"\b(?:qu(?:é|e)|was|ce qu['e]|o que|cosa)\b[^.?!]{{0,40}}\b(?:{_THEIR_KIN}\b[^.?!]{{0,30}}"
    rf"\b{_BOUGHT_ELSEWHERE}|{_BOUGHT_ELSEWHERE}\b[^.?!]{{0,30}}\b{_THEIR_KIN})\b"
    # "el correo de la clienta Ana López", "die Adresse von meiner Schwester", "l'adresse de
    # livraison de ma sœur"; not "send it to my sister's address" ("a la dirección de mi…")
    # "Mi esposa hizo un pedido ayer, ¿a qué dirección se envió?"
    rf"|\b{_THEIR_KIN}\b(?:(?!{_REFERRAL_ELSEWHERE})[^.?!]){{0,40}}\b{_BOUGHT_ELSEWHERE}\b"
    rf"(?:(?!{_REFERRAL_ELSEWHERE}).){{0,60}}\b(?:direcci(?:ó|o)n|"
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
# Japanese, Chinese and Korean (no spaces between words, so no \b): someone else, then soon after
# their records, then a request about them ("母のアカウントのメールアドレスを教えて", "帮我查下我妈
# 的订单到哪了", "엄마 주문 배송 어디쯤인지 확인해 주세요"). Nothing in the message before the
# records may say it is the asker's own errand: sending to them ("母の住所に送れますか"),
# collecting for them ("夫が代わりに受け取れますか"), a present, a referral.
_WHO_CJK = (
    r"(?:姪|甥|妻|夫|主人|旦那|嫁|(?<!お客)(?<!父)母(?!の日)|(?<!祖)父(?!の日)|お母さん|お父さん|姉|妹|"
    r"兄|弟|友達|友人|知人|隣人|隣の\w{1,4}|近所の人|息子|娘|彼女|彼氏|同僚|先輩|後輩|上司|祖母|"
    r"祖父|叔母|伯母|叔父|伯父|いとこ|家族|ルームメイト|他のお客|別のお客|[一-龯ァ-ヶ]{1,4}さん|"
    r"彼(?![女氏ら])|(?:^|(?<=[，,。！!？?\s]))[他她](?=[上去前昨在说說换換退买買订訂])|"
    r"妻子|老婆|太太|媳妇|媳婦|丈夫|老公|妈妈|媽媽|我妈|我媽|母亲|母親|爸爸|我爸|父亲|父親|姐姐|我姐|"
    r"妹妹|我妹|哥哥|我哥|弟弟|我弟|朋友|闺蜜|閨蜜|邻居|鄰居|侄女|侄子|外甥女?|同事|老板|老闆|儿子|"
    r"兒子|女儿|女兒|女朋友|男朋友|前男友|前女友|室友|奶奶|爷爷|爺爺|婆婆|公公|岳母|岳父|他的|她的|"
    r"(?:其他|别的|別的|另一位|另一个|另一個)(?:客户|客戶|顾客|顧客)|"
    r"아내|와이프|남편|엄마|어머니|아빠|아버지|언니|누나|오빠|여동생|남동생|동생|친구|이웃|옆집|조카|"
    r"(?<![가-힣])형(?=[이가의]|한테|\s)|동료|상사|선배|후배|아들|딸|여자친구|남자친구|룸메이트|"
    r"할머니|할아버지|시어머니|장모|"
    r"다른 고객|[가-힣]{2,3}\s?씨|걔|그 사람)"
)
_RECORDS_CJK = (
    r"注文|購入|住所|電話番号|連絡先|メール|アドレス|アカウント|ポイント|配送|追跡番号|返品|返金|交換|"
    r"会員|登録|ランク|tier|誰が|"
    r"订单|訂單|下单|下單|购买|購買|买的|買的|买了|買了|买过|買過|订的|訂的|订了|訂了|地址|电话|電話|"
    r"手机号|手機號|邮箱|郵箱|账户|帳戶|账号|帳號|积分|積分|物流|快递|快遞|单号|單號|退款|退货|退貨|换货|換貨|换成|換成|会员|會員|登记|登記|"
    r"包裹|주문|구매|샀|주소|전화번호|연락처|번호|이메일|계정|포인트|배송|택배|운송장|추적번호|환불|"
    r"반품|교환|바꿨|회원|등급|등록"
)
_ASKED_CJK = (
    r"教えて|確認|調べ|分かり|わかり|知りたい|見せて|送って|キャンセル|取り消|変更|変えて|どこ|いつ|"
    r"なってますか|済み|何の|見れ|見て|告诉|告訴|查|看下|看一下|了没|了沒|给我|給我|确认|取消|修改|"
    r"改成|到哪|在哪|什么时候|什麼時候|"
    r"状态|狀態|是哪|是什么|是什麼|几码|幾碼|多少|了没有|了沒有|알려|확인|조회|봐주|봐 주|알 수 있|"
    r"취소|바꿔|변경|어디|언제|됐는지|뭐예요|뭔지"
)
# The asker's own errand for the person: sending, collecting, giving.
_ERRAND_CJK = (
    r"に送|へ送|宛|代わりに|代理|受け取|受取|取りに|プレゼント|ギフト|贈|寄到|寄给|寄給|送到|送给|送給|"
    r"代领|代領|代取|帮我取|幫我取|礼物|禮物|买给|買給|로 보내|에게 보내|대신 찾|대신 수령|"
    r"픽업|선물|사주|사 주|もらった|貰った|收到|받은|받았|紹介|推荐|推薦|추천|[给給帮幫]我?(?:的)?"
    rf"{_WHO_CJK}"
)
# Kana, CJK ideographs and Hangul: every person above has one, so a message without any (most
# of them) is passed over in one scan instead of trying each person at each of its characters.
_CJK_RANGES = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_CJK_CHAR, _NO_CJK = rf"[{_CJK_RANGES}]", rf"[^{_CJK_RANGES}]"
_CJK = (
    rf"\A(?={_NO_CJK}*+{_CJK_CHAR})(?:(?!{_ERRAND_CJK})[\s\S])*?{_WHO_CJK}"
    rf"(?:(?!{_ERRAND_CJK})[^\n]){{0,30}}?"
    rf"(?:{_RECORDS_CJK})[^\n]{{0,40}}?(?:{_ASKED_CJK})"
    # "告诉我我妈妈的订单", "帮我查一下我朋友的地址"
    rf"|(?:告诉|告訴|帮我查|幫我查|查一下|查询|查詢|帮我取消|幫我取消|帮我改|幫我改)"
    rf"[^。？?！!\n]{{0,10}}{_WHO_CJK}"
    # Who sent or ordered it: "誰が注文したのか教えて", "是谁下的单", "누가 산 건지 알려"
    rf"|(?:{_ASKED_CJK})[^\n]{{0,15}}(?:是谁|是誰)[^\n]{{0,4}}(?:下的单|下的單|买的|買的|寄的)"
    rf"|(?:誰が|谁|誰|누가)[^\n]{{0,15}}"
    rf"(?:注文|買った|送った|下的单|下的單|买的|買的|寄的|산|주문|보낸)"
    rf"[^\n]{{0,20}}(?:{_ASKED_CJK})"
)
OTHER_PERSON = re.compile(rf"{_ENGLISH}|{_NAMED}|{_ELSEWHERE}|{_CJK}", _I)
