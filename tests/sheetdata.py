"""A realistic task-breakdown table (任务分解表), written by the tests with openpyxl: a merged
title row, a two-level header (责任单位 over 牵头单位 / 配合单位), section rows merged across,
a 完成时限 cell merged down three rows, date cells, traditional script, 我区."""

import csv
import datetime as dt
import io

TITLE = "市北区2024年重点工作任务分解表"
HEADER = ["序号", "工作任务", "责任单位", None, "完成时限", "备注"]
SUBHEADER = [None, None, "牵头单位", "配合单位", None, None]

# (序号, 工作任务, 牵头单位, 配合单位, 完成时限, 备注); a None 完成时限 is covered by the merged
# cell above it
ROWS = [
    "一、城市更新",
    (1, "完成河西剩余房屋征迁清零", "市北區", "区财政局", "6月底前", "重点项目"),
    (2, "启动重庆路高架沿线房屋征收", "区住建局、区财政局", None, dt.datetime(2024, 9, 30), None),
    (3, "推进老旧小区改造30个", "我区", "各街道", "三季度末", None),
    (4, "完成山东路立交西南象限房屋征收", "市北区", None, "2024年10月31日前", "含补偿安置"),
    (5, "推進濱海步道貫通工程", "區城管局", None, "年底前", None),
    (6, "建成口袋公园10处", "区城管局", "区园林中心", "2024-11-15", None),
    (7, "启动历史城区保护更新", "区城市更新局", None, "上半年", None),
    "二、民生保障",
    (8, "新增城镇就业5000人", "区人社局", None, "年底前", None),
    (9, "每月开展就业援助活动", "区人社局", None, "每月", "常态化"),
    (10, "完成养老服务中心建设", "区民政局", None, "11月中旬", None),
    (11, "改造提升农贸市场3处", "区商务局", None, "8月底前", None),
    (12, "新建幼儿园2所", "区教体局", None, "2024年8月31日", None),
    (13, "完成中小学校舍安全改造", "区教体局", None, None, None),
    (14, "开通社区食堂20处", "区民政局", None, None, None),
    (15, "完成背街小巷整治50条", "区城管局", None, "三季度", None),
    "三、营商环境",
    (16, "实现企业开办一日办结", "区行政审批局", None, "3月底前", None),
    (17, "完成政务服务中心改造", "区行政审批局", None, "2024/12/20", None),
    (18, "组织重点项目集中开工", "区发改局", "各街道", "每季度", "每季度一次"),
    (19, "兑现惠企政策资金", "区财政局", None, "2025年3月底前", None),
    (20, "完成营商环境评价整改", "区发改局", None, "第四季度", None),
]
TASKS = 20

# what each row's 完成时限 resolves to (reference 2024-01-01: the year in the title)
EXPECTED_DUE = {
    "完成河西剩余房屋征迁清零": "2024-06-30",
    "启动重庆路高架沿线房屋征收": "2024-09-30",
    "推进老旧小区改造30个": "2024-09-30",
    "完成山东路立交西南象限房屋征收": "2024-10-31",
    "推進濱海步道貫通工程": "2024-12-31",
    "建成口袋公园10处": "2024-11-15",
    "新建幼儿园2所": "2024-08-31",
    "完成中小学校舍安全改造": "2024-08-31",      # the merged cell above covers it
    "开通社区食堂20处": "2024-08-31",
    "实现企业开办一日办结": "2024-03-31",
    "完成政务服务中心改造": "2024-12-20",
    "兑现惠企政策资金": "2025-03-31",
    "完成养老服务中心建设": "2024-11-20",
}


def write_xlsx(path, rows=ROWS, title=TITLE, header=True):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任务分解"
    sheet.append([title])
    sheet.merge_cells("A1:F1")
    if header:
        sheet.append(HEADER)
        sheet.append(SUBHEADER)
        sheet.merge_cells("C2:D2")
        for col in "ABEF":
            sheet.merge_cells(f"{col}2:{col}3")
    merge_from = None
    for item in rows:
        if isinstance(item, str):
            sheet.append([item])
            r = sheet.max_row
            sheet.merge_cells(f"A{r}:F{r}")
            continue
        sheet.append(list(item))
        r = sheet.max_row
        if item[4] is None and merge_from is None:
            merge_from = r - 1
        elif item[4] is not None and merge_from is not None:
            sheet.merge_cells(f"E{merge_from}:E{r - 1}")
            merge_from = None
    if merge_from is not None:
        sheet.merge_cells(f"E{merge_from}:E{sheet.max_row}")
    book.save(path)


def csv_bytes(encoding="gb18030", rows=ROWS):
    """The same table as an office saves it to CSV: one header row, merged cells spelled out."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([TITLE])
    writer.writerow(["序号", "工作任务", "牵头单位", "配合单位", "完成时限", "备注"])
    last_due = None
    for item in rows:
        if isinstance(item, str):
            writer.writerow([item])
            continue
        due = item[4] if item[4] is not None else last_due
        last_due = due
        if isinstance(due, dt.datetime):
            due = due.strftime("%Y-%m-%d")
        writer.writerow(["" if v is None else v for v in (*item[:4], due, item[5])])
    return buffer.getvalue().encode(encoding)
