"""Short customer texts in the customer's language: complaints, severity notes, survey comments."""

from __future__ import annotations

from random import Random
from typing import Final

LANGUAGES: Final = ("en", "de", "fr", "es", "pt", "zh", "ja")

_COMPLAINTS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "ENGINE": {
        "en": ("Engine overheats and loses coolant", "Engine misfires and the check light is on"),
        "de": ("Motor überhitzt, Kühlwasser verliert", "Motor ruckelt, Motorkontrollleuchte an"),
        "fr": ("Le moteur chauffe et perd du liquide", "Ratés moteur, voyant moteur allumé"),
        "es": ("El motor se calienta y pierde refrigerante", "El motor falla, testigo encendido"),
        "pt": ("Motor superaquece e perde água", "Motor falhando, luz de injeção acesa"),
        "zh": ("发动机过热，冷却液泄漏", "发动机抖动，故障灯亮"),
        "ja": ("エンジンがオーバーヒートし冷却水が漏れる", "エンジン不調、警告灯が点灯"),
    },
    "ELECTRICAL": {
        "en": (
            "Car will not start, battery flat again",
            "Warning lights flicker, electrical fault",
        ),
        "de": ("Auto springt nicht an, Batterie leer", "Warnleuchten flackern, Elektrik spinnt"),
        "fr": (
            "La voiture ne démarre pas, batterie à plat",
            "Voyants qui clignotent, panne électrique",
        ),
        "es": (
            "El coche no arranca, batería descargada",
            "Fallo eléctrico, parpadean los testigos",
        ),
        "pt": ("Carro não pega, bateria descarregada", "Luzes piscando, pane elétrica"),
        "zh": ("车辆无法启动，电瓶又没电了", "仪表灯闪烁，电路故障"),
        "ja": ("エンジンがかからない、バッテリー上がり", "警告灯が点滅する、電装系の不具合"),
    },
    "BRAKES": {
        "en": ("Brakes squeal and the pedal feels soft", "ABS light on, braking distance longer"),
        "de": ("Bremsen quietschen, Pedal zu weich", "ABS-Leuchte an, Bremsweg länger"),
        "fr": ("Les freins grincent, pédale molle", "Voyant ABS allumé, freinage moins efficace"),
        "es": ("Los frenos chirrían y el pedal está blando", "Luz de ABS encendida, frena peor"),
        "pt": ("Freio chiando e pedal baixo", "Luz do ABS acesa, freio fraco"),
        "zh": ("刹车异响，踏板发软", "ABS故障灯亮，刹车距离变长"),
        "ja": ("ブレーキが鳴き、ペダルが柔らかい", "ABS警告灯が点灯し制動距離が長い"),
    },
    "HVAC": {
        "en": ("Air conditioning compressor noisy, not cooling", "AC blows warm air"),
        "de": ("Kompressor laut, kühlt nicht", "Klimaanlage bläst nur warme Luft"),
        "fr": (
            "Compresseur bruyant, la clim ne refroidit plus",
            "La climatisation souffle de l'air chaud",
        ),
        "es": ("Compresor ruidoso, el aire no enfría", "El aire acondicionado echa aire caliente"),
        "pt": ("Compressor barulhento, não gela", "Ar-condicionado soprando ar quente"),
        "zh": ("空调压缩机异响，制冷效果差", "空调不制冷，出热风"),
        "ja": ("エアコンのコンプレッサーが異音、冷えない", "エアコンから温風しか出ない"),
    },
    "TRANSMISSION": {
        "en": ("Gearbox grinds and the clutch slips", "Hard to shift gears"),
        "de": ("Getriebe kracht, Kupplung rutscht", "Gänge lassen sich schwer schalten"),
        "fr": ("La boîte craque et l'embrayage patine", "Les vitesses passent mal"),
        "es": ("La caja de cambios rasca y el embrague patina", "Cuesta meter las marchas"),
        "pt": ("Câmbio arranhando e embreagem patinando", "Marchas duras de engatar"),
        "zh": ("变速箱异响，离合器打滑", "换挡困难"),
        "ja": ("ギアが入りにくく、クラッチが滑る", "変速時に異音がする"),
    },
    "SUSPENSION": {
        "en": ("Knocking from the suspension over bumps", "Car pulls to one side"),
        "de": ("Fahrwerk poltert über Unebenheiten", "Auto zieht nach einer Seite"),
        "fr": ("Bruit de suspension sur les bosses", "La voiture tire d'un côté"),
        "es": ("Golpes en la suspensión con baches", "El coche se va hacia un lado"),
        "pt": ("Barulho na suspensão em buracos", "Carro puxando para um lado"),
        "zh": ("过减速带时底盘异响", "车辆跑偏"),
        "ja": ("段差でサスペンションから異音", "車が片側に流れる"),
    },
    "ELECTRONICS": {
        "en": ("Control board shows an error code, unit stops", "Unit does not respond to remote"),
        "de": (
            "Steuerplatine zeigt Fehlercode, Gerät geht aus",
            "Gerät reagiert nicht auf Fernbedienung",
        ),
        "fr": (
            "Code erreur sur la carte, l'appareil s'arrête",
            "L'appareil ne répond plus à la télécommande",
        ),
        "es": ("La placa muestra un código de error y se apaga", "El equipo no responde al mando"),
        "pt": ("Placa mostra código de erro e desliga", "Aparelho não responde ao controle"),
        "zh": ("主板报错，空调自动停机", "遥控器没反应，空调不开机"),
        "ja": ("基板がエラーを表示して停止する", "リモコンに反応しない"),
    },
    "REFRIGERANT": {
        "en": ("Refrigerant leak, pipes icing up", "Not cooling after gas refill"),
        "de": ("Kältemittel tritt aus, Leitung vereist", "Kühlt nicht, trotz Nachfüllen"),
        "fr": ("Fuite de gaz, les tuyaux givrent", "Ne refroidit plus malgré la recharge"),
        "es": ("Fuga de gas, las tuberías se congelan", "No enfría aunque se recargó el gas"),
        "pt": ("Vazamento de gás, tubulação congelando", "Não gela mesmo após recarga"),
        "zh": ("冷媒泄漏，管路结霜", "加氟后仍不制冷"),
        "ja": ("冷媒漏れ、配管が凍結する", "ガス補充後も冷えない"),
    },
    "DRAINAGE": {
        "en": ("Indoor unit drips water on the wall", "Drain pump noisy and water leaking"),
        "de": ("Innengerät tropft Wasser an die Wand", "Kondensatpumpe laut, Wasser läuft aus"),
        "fr": ("L'unité intérieure goutte sur le mur", "Pompe de relevage bruyante, fuite d'eau"),
        "es": ("La unidad interior gotea agua", "Bomba de condensados ruidosa y pierde agua"),
        "pt": ("Evaporadora pingando água na parede", "Bomba de dreno barulhenta e vazando"),
        "zh": ("内机漏水", "排水泵噪音大，漏水"),
        "ja": ("室内機から水が垂れる", "ドレンポンプがうるさく水漏れする"),
    },
}

_SEVERITY: Final[dict[str, tuple[str, str, str]]] = {
    "en": (
        "Had an accident because of it.",
        "Smoke and fire in the engine bay.",
        "Someone was hurt.",
    ),
    "de": ("Dadurch einen Unfall gehabt.", "Rauch und Feuer im Motorraum.", "Es gab Verletzte."),
    "fr": ("Cela a causé un accident.", "Fumée et feu sous le capot.", "Il y a eu des blessés."),
    "es": ("Tuve un accidente por esto.", "Humo y fuego en el motor.", "Hubo heridos."),
    "pt": ("Sofri um acidente por causa disso.", "Fumaça e fogo no motor.", "Houve feridos."),
    "zh": ("因此发生了事故。", "发动机舱冒烟起火。", "有人受伤。"),
    "ja": ("そのせいで事故になった。", "エンジンルームから煙と火が出た。", "けが人が出た。"),
}

_REPEAT: Final = {
    "en": "Same problem again after the last repair.",
    "de": "Schon wieder dasselbe Problem nach der letzten Reparatur.",
    "fr": "Même problème après la dernière réparation.",
    "es": "Otra vez el mismo problema tras la última reparación.",
    "pt": "O mesmo problema de novo depois do último conserto.",
    "zh": "上次维修后又出现同样的问题。",
    "ja": "前回の修理後にまた同じ不具合。",
}

_COMMENTS: Final[dict[str, tuple[str, str]]] = {
    "en": ("Quick and friendly service, thank you.", "Took far too long and nobody called back."),
    "de": ("Schneller, freundlicher Service, danke.", "Hat viel zu lange gedauert, kein Rückruf."),
    "fr": ("Service rapide et aimable, merci.", "Beaucoup trop long et personne n'a rappelé."),
    "es": ("Servicio rápido y amable, gracias.", "Tardaron demasiado y nadie me llamó."),
    "pt": ("Atendimento rápido e educado, obrigado.", "Demorou demais e ninguém retornou."),
    "zh": ("服务快，态度好，谢谢。", "等了太久，也没人回电话。"),
    "ja": ("対応が早く親切でした。", "時間がかかりすぎ、折り返しの連絡もない。"),
}


def text_language(language: str) -> str:
    """The language texts are written in: the customer's, else English."""
    return language if language in _COMMENTS else "en"


def complaint_text(
    component: str,
    language: str,
    rng: Random,
    *,
    repeat: bool = False,
    crash: bool = False,
    fire: bool = False,
    injured: bool = False,
) -> str:
    """A customer's short description of a fault of a top-level component."""
    lang = text_language(language)
    east_asian = lang in ("zh", "ja")
    parts = [rng.choice(_COMPLAINTS[component][lang]) + ("。" if east_asian else ".")]
    if repeat:
        parts.append(_REPEAT[lang])
    accident, fire_text, injury = _SEVERITY[lang]
    if crash:
        parts.append(accident)
    if fire:
        parts.append(fire_text)
    if injured:
        parts.append(injury)
    return ("" if east_asian else " ").join(parts)


def comment_text(language: str, *, happy: bool) -> str:
    praise, criticism = _COMMENTS[text_language(language)]
    return praise if happy else criticism
