"""Traditional vs Simplified Chinese (and Japanese kanji) by character-set tests.

Han-only text is split by counting characters that exist in only one of the two standard
character sets, plus written-Cantonese particles (Hong Kong usage, written in Traditional) and a
few region-specific words spelled with shared characters. Characters whose simplified form is
also an ordinary traditional character (后, 里, 干, 只, 台, 面, 系, 着, 准, 志 ...) are left out on
purpose: they prove nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HanEvidence", "han_evidence", "SIMPLIFIED_ONLY", "TRADITIONAL_ONLY"]

# Aligned pairs: SIMPLIFIED[i] is the simplified form of TRADITIONAL[i].
_PAIRS_SIMPLIFIED = (
    "们这个说时来为会对过还没么样话发让从车门见东问间边现点开关头学长两气电机动国实经种听觉"
    "应该错钱买卖给认识请谢难欢乐爱亲妈孙儿厅馆饭鸡鱼鸟马龙凤华汉语词读写书图报纸杂网络线红"
    "绿蓝黄员队阳阴际陆险随岁万与专业丢严丧临丽举义乌乔习乡乱争亏亚产亿仅仓仪价众优伞伟传伤"
    "伦伪体侠侣侦侧侨俭债倾偿储党兰兴养兽册军农决况冻净凉减凑凭凯击刘则刚创删别剂剑剧劝办务"
    "励劲劳势区医协单卢卫厂历厉压厌县参双变叙叠号叹吓吗启吴呜响哑哗唤喷园围圣场坏块坚坟坠执"
    "扩扫扬扰抚抛抢护担拟拥拦拨择挂挡挤挥捞损换据掷摄摆摇撑携数断无旧昼显晒晓晕暂术杀权条杨"
    "极构枪柜标栏树桥档梦检楼横欧残毕毙汇汤沟沪泪泼泽洁浅测济浓涛润涨渐温湾湿满滚潜灭灯灵灾"
    "炉烂热爷牵犹状独狮猎猪猫献环玛画畅疗疯皱盐监盖盘睁矿码础确碍礼祸离积称稳穷窃窝竞笔笼签"
    "简类粮紧纠约级纪纯纳纵纷练组细织终绍结绕绘绝统继绩绪续维综缓编缘缩罗罚罢职联聪肃肠肤肿"
    "胁胆胜脏脑脚脸舰舱艰节苏苹荐药获莱营虑虫虽虾蛮补装观规视览触计订讨训议讯记讲许论设访证"
    "评诉译试诗诚询详误课谁调谈谋谎谓谣谨贝负贡财责败货质贩贪购贵贷费贴贸资赏赔赚赛赞赠赶趋"
    "跃践轨转轮软轻载较辅辆辈输辞达迁迈运进远违连迟选递逻遗邓邮邻郑酱释针钟钢钥铁银铺链销锁"
    "锅键镇镜闭闯闲闷闹闻阅阶陈隐雾静韩页顶项顺须顾顿预领频题颜风飞饮饱饺饿驱驶驾验骂骗骑骚"
    "鲜鸭齐齿龄恶悬惊惧惨惯愤忆态怀怜总恋恳恼戏战扑袭宁宝宪审宾宽寻导层岛岭币师帅带帮广庄"
    "庆库废异弃张弹强归当录彻径复尽团并几"
)
_PAIRS_TRADITIONAL = (
    "們這個說時來為會對過還沒麼樣話發讓從車門見東問間邊現點開關頭學長兩氣電機動國實經種聽覺"
    "應該錯錢買賣給認識請謝難歡樂愛親媽孫兒廳館飯雞魚鳥馬龍鳳華漢語詞讀寫書圖報紙雜網絡線紅"
    "綠藍黃員隊陽陰際陸險隨歲萬與專業丟嚴喪臨麗舉義烏喬習鄉亂爭虧亞產億僅倉儀價眾優傘偉傳傷"
    "倫偽體俠侶偵側僑儉債傾償儲黨蘭興養獸冊軍農決況凍淨涼減湊憑凱擊劉則剛創刪別劑劍劇勸辦務"
    "勵勁勞勢區醫協單盧衛廠歷厲壓厭縣參雙變敘疊號嘆嚇嗎啟吳嗚響啞嘩喚噴園圍聖場壞塊堅墳墜執"
    "擴掃揚擾撫拋搶護擔擬擁攔撥擇掛擋擠揮撈損換據擲攝擺搖撐攜數斷無舊晝顯曬曉暈暫術殺權條楊"
    "極構槍櫃標欄樹橋檔夢檢樓橫歐殘畢斃匯湯溝滬淚潑澤潔淺測濟濃濤潤漲漸溫灣濕滿滾潛滅燈靈災"
    "爐爛熱爺牽猶狀獨獅獵豬貓獻環瑪畫暢療瘋皺鹽監蓋盤睜礦碼礎確礙禮禍離積稱穩窮竊窩競筆籠簽"
    "簡類糧緊糾約級紀純納縱紛練組細織終紹結繞繪絕統繼績緒續維綜緩編緣縮羅罰罷職聯聰肅腸膚腫"
    "脅膽勝髒腦腳臉艦艙艱節蘇蘋薦藥獲萊營慮蟲雖蝦蠻補裝觀規視覽觸計訂討訓議訊記講許論設訪證"
    "評訴譯試詩誠詢詳誤課誰調談謀謊謂謠謹貝負貢財責敗貨質販貪購貴貸費貼貿資賞賠賺賽讚贈趕趨"
    "躍踐軌轉輪軟輕載較輔輛輩輸辭達遷邁運進遠違連遲選遞邏遺鄧郵鄰鄭醬釋針鐘鋼鑰鐵銀鋪鏈銷鎖"
    "鍋鍵鎮鏡閉闖閒悶鬧聞閱階陳隱霧靜韓頁頂項順須顧頓預領頻題顏風飛飲飽餃餓驅駛駕驗罵騙騎騷"
    "鮮鴨齊齒齡惡懸驚懼慘慣憤憶態懷憐總戀懇惱戲戰撲襲寧寶憲審賓寬尋導層島嶺幣師帥帶幫廣莊"
    "慶庫廢異棄張彈強歸當錄徹徑復盡團並幾"
)

SIMPLIFIED_ONLY: frozenset[str] = frozenset(_PAIRS_SIMPLIFIED)
TRADITIONAL_ONLY: frozenset[str] = frozenset(_PAIRS_TRADITIONAL)

# Written Cantonese: particles and words that only Cantonese writing uses. Hong Kong writes them
# in Traditional characters, so they count for zh-Hant even next to shared characters.
# fmt: off
CANTONESE_MARKERS: tuple[str, ...] = (
    "嘅", "係", "唔", "冇", "喺", "咗", "哋", "佢", "啲", "嘢", "乜", "咩", "嚟", "噉", "畀", "俾",
    "搵", "睇", "嬲", "啱", "嗰", "㗎", "囉", "嘞", "咁", "琴日", "尋日", "今日", "聽日", "朝早",
    "後生仔", "屋企", "的士", "巴士", "港鐵", "而家", "依家", "點解", "邊度", "呢度", "仲話",
)
# fmt: on
# Taiwan words written with shared characters.
TAIWAN_MARKERS: tuple[str, ...] = ("捷運", "公車", "計程車")
# Mainland words written with shared characters.
MAINLAND_MARKERS: tuple[str, ...] = ("公交", "派出所", "微信", "出租车")

# Japanese-only kanji (shinjitai forms that are neither Simplified nor Traditional) and words that
# only Japanese writes in kanji; they mark kanji-only text as Japanese.
JAPANESE_ONLY: frozenset[str] = frozenset(
    "駅気広払売読変戦経関楽薬歩渋沢桜単険験続総絵浜鉄円悪働込畑峠辺図団帰覚闘拡雑県様検転伝"
    "仏権児毎黒涙隣営"
)
JAPANESE_WORDS: tuple[str, ...] = ("先週", "先月", "今週", "来週", "警察官")


@dataclass(frozen=True)
class HanEvidence:
    """Counts of distinguishing evidence in a Han text.

    Attributes:
        simplified: Weight of Simplified-only characters and mainland words.
        traditional: Weight of Traditional-only characters and Taiwan words.
        cantonese: Weight of written-Cantonese markers (count for Traditional).
        japanese: Weight of Japanese-only kanji and words.
    """

    simplified: float
    traditional: float
    cantonese: float
    japanese: float


def _count_markers(text: str, markers: tuple[str, ...]) -> int:
    return sum(text.count(m) for m in markers)


def han_evidence(text: str) -> HanEvidence:
    """Count Simplified, Traditional, Cantonese and Japanese evidence in ``text``.

    Args:
        text: Any text; only Han characters and marker words matter.

    Returns:
        The evidence weights (a marker word counts 2, a single character 1).
    """
    simplified = sum(1 for ch in text if ch in SIMPLIFIED_ONLY)
    traditional = sum(1 for ch in text if ch in TRADITIONAL_ONLY)
    japanese = sum(1 for ch in text if ch in JAPANESE_ONLY)
    return HanEvidence(
        simplified=simplified + 2 * _count_markers(text, MAINLAND_MARKERS),
        traditional=traditional + 2 * _count_markers(text, TAIWAN_MARKERS),
        cantonese=2 * _count_markers(text, CANTONESE_MARKERS),
        japanese=japanese + 2 * _count_markers(text, JAPANESE_WORDS),
    )
