"""Stop, help, skip, done and danger words work in every language (held-out messages written by
each language's translator in tests/data/commands/<code>.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import commands
from bot.commands import command, is_danger
from bot.languages import codes

DATA = Path(__file__).resolve().parents[1] / "data" / "commands"
CASES = [
    (path.stem, kind, message)
    for path in sorted(DATA.glob("*.yml"))
    for kind, messages in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()
    for message in messages or []
]


def test_every_language_has_command_examples() -> None:
    present = {p.stem for p in DATA.glob("*.yml")}
    assert set(codes()) <= present, f"missing: {sorted(set(codes()) - present)}"


@pytest.mark.parametrize(("language", "kind", "message"), CASES)
def test_command_is_recognised(language: str, kind: str, message: str) -> None:
    if kind == "not_emergency":
        assert not is_danger(message), f"{language}: false alarm on {message!r}"
    elif kind == "emergency":
        assert command(message) == "emergency", f"{language}: missed danger in {message!r}"
    else:
        assert command(message) == kind, f"{language}: {message!r} → {command(message)}"


def test_a_long_report_is_never_a_short_command() -> None:
    assert command("they told me to stop and go back to my country, then they left") is None


@pytest.mark.parametrize(
    "text",
    [
        "what should I do if I'm in danger?",
        "如果我有危险怎么办？",
        "nếu tôi gặp nguy hiểm thì sao?",
        "もし身の危険を感じたらどうすればいい？",
    ],
)
def test_a_question_about_what_to_do_if_in_danger_is_not_an_emergency(text: str) -> None:
    assert commands.asks_about_danger(text, "ask_danger", 0.9)
    assert commands.asks_about_danger(text, "emergency", 0.9)  # it reads as a question
    # Without the question mark it is still one: it opens or ends with a question word.
    assert commands.asks_about_danger(text.rstrip("?？"), "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "ถ้าฉันตกอยู่ในอันตรายต้องทำยังไงคะ",  # Thai: "how", then a polite particle
        "ถูกตามกลับบ้านถือว่าเป็นเหตุฉุกเฉินไหม",  # Thai: "does it count as an emergency"
        "အန္တရာယ်ရှိရင် ဘယ်သူ့ကို ဆက်သွယ်ရမလဲ ဗျ",  # Burmese: question particle, then ဗျ
        "နောက်ကလိုက်နေတာ အရေးပေါ်လား",  # Burmese: "is it an emergency"
        "បើមានគេគំរាមខ្ញុំ ត្រូវហៅប៉ូលីសឬទេ",  # Khmer: "or not"
        "kalau saya dalam bahaya apa patut saya buat",  # Malay: question word mid-sentence
        "adakah ia kecemasan kalau orang ikut saya",  # Malay: -kah question opening it
        "emergency ba kung may sumusunod sakin",  # Tagalog: the particle ba
        "nếu bị đe dọa thì gọi ai",  # Vietnamese: "who", no diacritics needed either
        "neu bi de doa thi co goi 999 khong",
        "만약에 그 사람이 또 오면 어떡해요",  # Korean: "what do I do"
        "万一他们又来打我怎么办",
        "เมื่อมีคนกำลังตามฉันอยู่ ควรทำยังไง",  # Thai: "when" + a verb is conditional
        "ពេលមានគេកំពុងវាយខ្ញុំ តើត្រូវហៅលេខអ្វី",  # Khmer: the same
        "เบอร์ฉุกเฉินคืออะไร",  # Thai: "what is the emergency number"
        "อยู่ในสถานการณ์ฉุกเฉินต้องทำยังไง",
        "ถ้าเขากลับมาอีก ใครช่วยฉันได้บ้าง",  # Thai: บ้าง ends the question
        "បើពួកគេត្រឡប់មកវិញ តើខ្ញុំអាចហៅអ្នកណាបាន",  # Khmer: តើ opens it mid-sentence
        "အရေးပေါ်ဖုန်းနံပါတ် ဘာလဲ",  # Burmese: "what is the emergency number"
        "ถ้าตกอยู่ในอันตรายต้องทำอย่างไรดีคะ",  # Thai: "how", then ดี and a polite particle
        "ถ้าเขากลับมาอีกต้องโทรหาใครก่อน",  # Thai: "who", then ก่อน ("first")
        "เมื่ออยู่ในอันตรายต้องแจ้งใคร",  # Thai: เมื่อ + อยู่ is "when(ever) I am"
        "បើខ្ញុំក្នុងគ្រោះថ្នាក់ ត្រូវធ្វើអ្វីខ្លះ",  # Khmer: "what (things)"
        "បើមានគេតាមខ្ញុំ ហៅប៉ូលីសបានអត់",  # Khmer: the tag អត់ ("can I or not")
        "បើមានអាសន្ន ត្រូវហៅលេខប៉ុន្មាន",  # Khmer: "which number"
        "ពេលនៅក្នុងគ្រោះថ្នាក់ ត្រូវធ្វើម្តេច",  # Khmer: ម្តេច spelt with ត
    ],
)
def test_a_question_without_a_question_mark_still_reads_as_one(text: str) -> None:
    assert commands.reads_as_question(text)
    assert commands.asks_about_danger(text, "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "ควรทำอย่างไรหากตกอยู่ในอันตราย",  # Thai: "what should I do | if I'm in danger"
        "จะโทรหาใครดีถ้ามีคนถือมีดมาหาฉัน",
        "ខ្ញុំគួរធ្វើអ្វីប្រសិនបើខ្ញុំស្ថិតក្នុងគ្រោះថ្នាក់",  # Khmer: the same order
        "ធ្វើម៉េចបើគេកាន់កាំបិតមករកខ្ញុំ",
        "what do I do if they come back and I'm in danger",
    ],
)
def test_a_question_that_puts_the_condition_last_is_not_an_emergency(text: str) -> None:
    # The message ends with the condition, not with a question word: what comes before the
    # condition is the question.
    assert commands.command(text) == "emergency"  # it holds danger words
    assert not commands.reads_as_question(text) or text.startswith("what")
    assert commands.is_hypothetical(text)
    assert commands.asks_about_danger(text, "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "เขากำลังทำร้ายฉัน ถ้าไม่มาเขาจะฆ่าฉัน",  # "he is hitting me; if you don't come ..."
        "គាត់កំពុងវាយខ្ញុំ បើអ្នកមិនមកទេ គាត់នឹងសម្លាប់ខ្ញុំ",
        "he has a knife, if nobody comes he will kill me",
    ],
)
def test_danger_said_before_a_condition_stays_an_emergency(text: str) -> None:
    # What comes before the condition is a statement, not a question.
    assert commands.command(text) == "emergency"
    assert not commands.asks_about_danger(text, "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "if you don't come now he will kill me",
        "ถ้าไม่มาตอนนี้เขาจะฆ่าฉัน",
        "kalau awak tak datang sekarang dia bunuh saya",
        "បើអ្នកមិនមកទេ គាត់នឹងសម្លាប់ខ្ញុំ",  # ទេ mid-sentence is a negation, not a question
        "nếu không ai đến thì hắn giết tôi mất",
        "もし来なかったら殺される",
    ],
)
def test_a_conditional_that_is_not_a_question_is_left_to_the_model(text: str) -> None:
    assert commands.is_hypothetical(text)
    assert not commands.reads_as_question(text)
    assert not commands.asks_about_danger(text, "emergency", 0.9)
    assert not commands.asks_about_danger(text, "ask_danger", 0.2)
    assert commands.asks_about_danger(text, "ask_danger", 0.9)  # the model reads it as the question


@pytest.mark.parametrize(
    "text",
    [
        "เขาอยู่หน้าบ้านตอนนี้ ช่วยได้ไหม",  # "he is at my door now, can you help?"
        "มีคนตามฉันอยู่ ทำยังไงดี",
        "သူ အခု ဒီမှာ ရှိနေတယ် ဘာလုပ်ရမလဲ",
        "hắn đang đánh tôi, phải làm sao",
        "ada orang ikut saya sekarang, macam mana ni",
        "지금 누가 따라오고 있어요 어떡해요",
        "ตอนนี้มีคนกำลังตามฉัน ทำยังไงดี",  # ตอนนี้ "now", not "when"
        "ពេលនេះគាត់កំពុងវាយខ្ញុំ ធ្វើម៉េច",  # ពេលនេះ "now", not "when"
        "តើអ្នកអាចជួយខ្ញុំបានទេ គាត់កំពុងវាយខ្ញុំ",  # "can you help me? he is hitting me"
    ],
)
def test_danger_now_asked_as_a_question_stays_an_emergency(text: str) -> None:
    assert commands.reads_as_question(text)
    assert not commands.is_hypothetical(text)
    assert not commands.asks_about_danger(text, "ask_danger", 0.99)


@pytest.mark.parametrize(
    "text",
    [
        "I'm in danger",
        "he is here now?",
        "我现在有危险",
        "tôi đang gặp nguy hiểm?",
        "help me, he is here now",
    ],
)
def test_danger_said_plainly_stays_an_emergency_whatever_the_model_says(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.asks_about_danger(text, "ask_danger", 0.99)


@pytest.mark.parametrize(
    "text",
    [
        "ฉุกเฉิน ช่วยด้วย",
        "เหตุฉุกเฉิน มีคนกำลังทำร้ายฉัน",
        "အရေးပေါ် ကယ်ပါ",
        "အရေးပေါ်အခြေအနေ ကယ်ပါ",
        "ឥឡូវនេះគាត់កំពុងវាយខ្ញុំ ជួយផង",
    ],
)
def test_the_word_emergency_said_not_asked_stays_an_emergency(text: str) -> None:
    assert commands.command(text) == "emergency"
    assert not commands.asks_about_danger(text, "emergency", 0.9)


@pytest.mark.parametrize(
    "text",
    [
        "ตกอยู่ในอันตรายต้องทำอะไร",  # Thai leaves "if" unsaid: "in danger, what must one do?"
        "อยู่ในอันตรายควรทำอะไรก่อน",
        "ក្នុងគ្រោះថ្នាក់ត្រូវធ្វើអ្វីមុន",  # Khmer: "in danger, what to do first?"
        "in danger, what should one do?",
    ],
)
def test_a_general_question_about_danger_is_the_question_when_the_model_reads_it_so(
    text: str,
) -> None:
    assert not commands.is_hypothetical(text)
    assert commands.reads_as_question(text)
    assert not commands.is_urgent(text)
    assert commands.asks_about_danger(text, "ask_danger", 0.9)
    # ... but never on the danger words alone, nor on a model that is unsure.
    assert not commands.asks_about_danger(text, "emergency", 0.9)
    assert not commands.asks_about_danger(text, "ask_danger", 0.3)


@pytest.mark.parametrize(
    "text",
    [
        "ฉันอยู่ในอันตราย ต้องทำอะไร",  # "I am in danger, what do I do?"
        "ខ្ញុំកំពុងមានគ្រោះថ្នាក់ ត្រូវធ្វើអ្វី",  # "I am in danger now, what to do?"
        "I'm in danger, what should I do?",
        "我现在有危险，怎么办？",
        "tôi đang gặp nguy hiểm, phải làm sao?",
        "지금 위험해요 어떡해요?",
        "nasa panganib ako ngayon, ano gagawin ko?",
    ],
)
def test_danger_to_the_person_asked_as_a_question_stays_an_emergency_even_if_the_model_asks(
    text: str,
) -> None:
    assert commands.is_urgent(text)
    assert not commands.asks_about_danger(text, "ask_danger", 0.99)


@pytest.mark.parametrize(
    "text",
    [
        "ตอนนี้มีผู้ชายเดินตามฉันมาจากป้ายรถเมล์",  # a man is following me from the bus stop, now
        "เพิ่งโดนตีที่หลัง ลุกไม่ไหวเลยค่ะ",  # just hit on the back, I can't get up
        "지금 어떤 남자가 계속 따라와요",  # a man keeps following me now
        "방금 맞아서 피가 나요",  # I was just hit and I'm bleeding
    ],
)
def test_danger_words_with_now_are_an_emergency(text: str) -> None:
    """`_danger_with_now`: following, hit, bleeding … with a "now" word is danger now."""
    assert commands.is_danger(text)
    assert commands.command(text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "มีคนเดินตามฉันกลับบ้าน",  # someone walked behind me home (no "now")
        "เขาเดินตามฉันเมื่อวาน ตอนนี้ยังกลัวอยู่",  # followed me yesterday; still afraid now
        "지난주에 집까지 따라왔어요",  # followed me home last week
        "어제 따라왔는데 지금은 괜찮아요",  # followed yesterday, fine now
    ],
)
def test_danger_words_of_the_past_stay_an_answer(text: str) -> None:
    """Without "now", or with the past or safety said too, they tell what happened."""
    assert not commands.is_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "เวลาฉันไม่ปลอดภัยควรโทรหาใคร",  # whenever I am not safe, who should I call?
        "เวลาเราไม่ปลอดภัยจะแจ้งผ่านแชทนี้ได้ไหม",  # whenever we are not safe, can we tell this chat?
        "ตอนที่ฉันอยู่ในอันตราย บริการนี้ช่วยได้ไหม",  # when I am in danger, can this service help?
    ],
)
def test_thai_whenever_i_questions_ask_about_danger(text: str) -> None:
    """Thai "เวลา/ตอนที่ + I/we" is "whenever I …": a question about danger, even when the model
    is sure it is an emergency."""
    assert commands.is_hypothetical(text)
    assert commands.asks_about_danger(text, "emergency", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "I am not in danger, I just want to report something",
        "it's not an emergency, it happened last month",
        "ตอนนี้ไม่ได้อยู่ในอันตรายค่ะ แค่อยากแจ้งเรื่องที่เกิดขึ้น",  # not in danger now, just reporting
    ],
)
def test_danger_said_not_to_be_there_is_not_an_emergency(text: str) -> None:
    """`_not_danger`: "I'm not in danger" holds the danger words but says the opposite."""
    assert not commands.is_danger(text)
    assert commands.command(text) != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not in danger but he has a knife and he is outside my door",
        "ไม่ได้อยู่ในอันตรายแต่ตอนนี้มีคนถือมีดอยู่หน้าห้อง",  # "not in danger" but a knife at the door now
        "เขายังอยู่ข้างนอก ถ้าเขาเข้ามาจะทำยังไงดี",  # he is still outside; if he comes in, what do I do?
        "ลูกโดนกลุ่มวัยรุ่นล้อมอยู่ตอนนี้ ต้องทำยังไง",  # my child is surrounded by teenagers now
    ],
)
def test_danger_now_stays_an_emergency(text: str) -> None:
    """Only the negated words are taken out; danger said now (before an "if" too) stays one."""
    assert commands.command(text) == "emergency"
    assert not commands.asks_about_danger(text, "emergency", 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "我没有生命危险，只是想记录一下。",  # zh-Hans: my life is not in danger, I just want to record it
        "他现在没有在跟踪我，我只是想举报。",  # zh-Hans: he is not following me now, I just want to report
        "我沒有生命危險，只是想記錄一下。",  # zh-Hant: my life is not in danger, I just want to record it
        "現在沒有人在打我了，那是上週的事。",  # zh-Hant: nobody is hitting me now, that was last week
        "Đây không phải là trường hợp khẩn cấp, tôi chỉ có một câu hỏi.",  # vi: not an emergency, a question
        "Tôi không đang gặp nguy hiểm, chỉ muốn báo cáo.",  # vi: I'm not in danger, just want to report
        "위험에 처해 있지 않습니다. 상담만 받고 싶어요.",  # ko: I'm not in danger, I just want advice
        "지금은 아무도 따라오고 있지 않아요, 지난달 일이에요.",  # ko: nobody follows me now, it was last month
        "身の危険はありません、相談したいだけです。",  # ja: I'm in no danger, I just want to talk it over
        "今危険じゃないです。報告したいだけです。",  # ja: I'm not in danger now, I just want to report
        "Hindi nasa panganib ako, gusto ko lang magtanong.",  # tl: I'm not in danger, I just want to ask
        "Hindi na nasa panganib ako ngayon, magrereport lang.",  # tl: no longer in danger, just reporting
        "Saya tak dalam bahaya, cuma nak bertanya.",  # ms: I'm not in danger, just want to ask
        "Tiada orang ikut saya sekarang, itu bulan lepas.",  # ms: nobody follows me now, that was last month
        "Saya tidak sedang dalam bahaya, hanya ingin lapor.",  # id: I'm not in danger, just want to report
        "Aku gak dalam bahaya kok, cuma mau cerita.",  # id: I'm not in danger, just want to tell what happened
        "ဒါက အရေးပေါ် မဟုတ်ပါဘူး၊ မေးခွန်းတစ်ခု မေးချင်လို့ပါ။",  # my: this is not an emergency, I have a question
        "ကျွန်မ အန္တရာယ်ထဲမှာ မရှိပါဘူး၊ မေးချင်ရုံပါ။",  # my: I'm not in danger, I just want to ask
        "មិនមែនជាអាសន្នទេ តើខ្ញុំអាចរាយការណ៍ដោយមិនបញ្ចេញឈ្មោះបានទេ?",  # km: not an emergency; can I report anonymously?
        "ខ្ញុំមិនស្ថិតក្នុងគ្រោះថ្នាក់ទេ គ្រាន់តែចង់សួរ។",  # km: I'm not in danger, I just want to ask
    ],
)
def test_not_danger_phrases_per_language(text: str) -> None:
    """`_not_danger` of each language: danger said not to be there is not an emergency."""
    assert not commands.is_danger(text)
    assert commands.command(text) != "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "我没有受伤，但是他现在拿着刀在我家门外。",  # zh-Hans: I'm not hurt, but he is outside my door with a knife now
        "這不是上週的事，他現在正在打我，救命！",  # zh-Hant: it's not last week, he is hitting me now, help!
        "Không phải câu hỏi, tôi đang gặp nguy hiểm!",  # vi: it's not a question, I am in danger!
        "다치지는 않았는데 그 사람이 지금 칼을 들고 문 밖에 있어요.",  # ko: not hurt, but he is outside the door with a knife now
        "質問ではありません、今危険です！",  # ja: this is not a question, I'm in danger now!
        "Hindi ako nasaktan pero nasa labas siya ng pinto ko ngayon na may kutsilyo.",  # tl: not hurt, but he's outside my door with a knife now
        "Bukan minggu lepas, dia sedang pukul saya sekarang, tolong!",  # ms: not last week, he is hitting me now, help!
        "Saya tidak bercanda, ada orang yang sedang mengikuti saya sekarang.",  # id: I'm not joking, someone is following me now
        "ကျွန်တော် ဒဏ်ရာ မရပါဘူး၊ ဒါပေမဲ့ သူက အခု ဓား ကိုင်ပြီး အိမ်တံခါး အပြင်မှာ ရှိနေတယ်။",  # my: not hurt, but he is outside the door with a knife now
        "ខ្ញុំមិនបានរងរបួសទេ ប៉ុន្តែឥឡូវនេះគាត់កំពុងឈរនៅក្រៅទ្វារផ្ទះខ្ញុំជាមួយកាំបិត។",  # km: not hurt, but he is standing outside my door with a knife now
    ],
)
def test_danger_now_despite_a_negation_per_language(text: str) -> None:
    """A negation elsewhere ("I'm not hurt", "not a question") leaves danger said now an emergency."""
    assert commands.is_danger(text)
    assert commands.command(text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "I'm locked in the bathroom and he won't let me out",  # en
        "They're threatening to kill me right now, please",  # en
        "快帮帮我，我被一群人围住了",  # zh-Hans: help me quick, a crowd has surrounded me
        "有人在砸我的门，我好害怕",  # zh-Hans: someone is smashing my door, I'm so scared
        "他現在在我門口不走，我很怕",  # zh-Hant: he is at my door now and won't leave, I'm scared
        "我正在被人襲擊，快報警",  # zh-Hant: I'm being attacked right now, call the police
        "Tôi đang bị nhốt trong nhà, cứu tôi",  # vi: I'm locked in the house, save me
        "hắn đang dọa giết tôi, làm ơn giúp",  # vi: he is threatening to kill me, please help
        "창고에 갇혔어요 도와주세요",  # ko: I'm locked in the storeroom, please help
        "누가 문을 계속 두드려요 너무 무서워요",  # ko: someone keeps banging on the door, I'm so scared
        "知らない男が玄関の前にいます、怖いです",  # ja: a stranger is at my front door, I'm scared
        "夫に殴られてます、助けて",  # ja: my husband is hitting me, help
        "Napapalibutan ako ng mga lalaki dito sa kanto",  # tl: I'm surrounded by men here at the corner
        "Dumudugo ang braso ko, nandito pa sila",  # tl: my arm is bleeding, they're still here
        "Ada lelaki berdiri depan rumah saya dengan parang sekarang",  # ms: a man is standing in front of my house with a machete now
        "Tolong, saya kena kepung kat stesen bas sekarang",  # ms: help, I'm surrounded at the bus station now
        "Ada orang mengikuti saya dari tadi, saya takut",  # id: someone has been following me for a while, I'm scared
        "Suami saya sedang memukul saya, tolong",  # id: my husband is hitting me, help
        "သူ ကျွန်မကို ရိုက်နေတယ် ကယ်ပါ",  # my: he is hitting me, save me
        "အခန်းထဲမှာ ပိတ်မိနေတယ် ကူညီပါ",  # my: I'm trapped in the room, help
        "ខ្ញុំត្រូវគេចាក់សោទុកក្នុងផ្ទះ សូមជួយផង",  # km: I've been locked in the house, please help
        "ខ្ញុំជាប់សោក្នុងបន្ទប់ គាត់មិនឲ្យខ្ញុំចេញទេ",  # km: I'm locked in the room, he won't let me out
    ],
)
def test_danger_now_recall_per_language(text: str) -> None:
    """Danger said now in each language's everyday wording (locked in, surrounded, hitting me,
    at the door, threatened with death) is an emergency."""
    assert commands.is_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dia masih mengikuti saya di media sosial",  # id: he still follows me on social media
        "dia masih mengikuti saya di Instagram sekarang",  # id: he still follows me on Instagram now
    ],
)
def test_following_online_is_not_danger_now(text: str) -> None:
    """Malay/Indonesian "follows me" with "still/now" is danger, unless it is online."""
    assert not commands.is_danger(text)
